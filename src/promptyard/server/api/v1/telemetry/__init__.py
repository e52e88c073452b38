"""Routes of the telemetry capability: the generation record and end-user feedback."""
