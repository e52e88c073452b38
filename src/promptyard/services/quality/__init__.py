"""Prompt intelligence: quality rules, security scanning, scores, similarity, search.

``engine`` runs the rules (collected from plugins onto ``Core.quality_rules``) over one
content; ``findings`` serves stored versions, unsaved content and project reports;
``gate.install`` (called by :func:`promptyard.wiring.build_core`) adds the
``no_high_severity_findings`` quality gate; ``measure`` scores the security rules on a
labelled corpus (bench/data/quality_corpus.jsonl); ``similarity`` finds near-duplicates
by word shingles (Jaccard, MinHash LSH), no model; ``embeddings`` is semantic search with
the optional ``promptyard[semantic]`` extra.
"""
