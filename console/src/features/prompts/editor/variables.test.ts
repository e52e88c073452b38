import { describe, expect, it } from "vitest";
import { blocks, detectContentVariables, detectVariables } from "./variables";

describe("detectVariables", () => {
  it("finds simple variables in order of first use, once each", () => {
    expect(detectVariables("Hello {{ name }}, you are {{ age }}. Bye {{name}}!")).toEqual(["name", "age"]);
  });

  it("reads the root of attribute and item access", () => {
    expect(detectVariables("{{ user.name }} {{ order['id'] }} {{ a.b.c }}")).toEqual(["user", "order", "a"]);
  });

  it("ignores filters, their arguments' keywords, and tests", () => {
    expect(detectVariables("{{ name | upper }} {{ items | join(sep) }} {% if x is defined %}{% endif %}")).toEqual([
      "name",
      "items",
      "sep",
      "x",
    ]);
    expect(detectVariables("{{ text | truncate(length=n) }}")).toEqual(["text", "n"]);
  });

  it("does not report loop targets, set names or the loop object", () => {
    const template = `{% for item in items %}{{ loop.index }}. {{ item.title }} {{ suffix }}{% endfor %}
{% set greeting = "Hi " ~ who %}{{ greeting }}`;
    expect(detectVariables(template)).toEqual(["items", "suffix", "who"]);
  });

  it("handles tuple loops and conditions", () => {
    expect(detectVariables("{% for k, v in pairs.items() if v > limit %}{{ k }}={{ v }}{% endfor %}")).toEqual([
      "pairs",
      "limit",
    ]);
  });

  it("skips strings, numbers, comments, raw blocks and keywords", () => {
    const template = `{# {{ hidden }} #}{{ "literal {{ x }}" }} {{ 3 + count }} {% raw %}{{ raw_var }}{% endraw %}
{% if flag and not other or none %}{% endif %} {{ true }}`;
    expect(detectVariables(template)).toEqual(["count", "flag", "other"]);
  });

  it("understands whitespace control markers", () => {
    expect(detectVariables("{{- name -}} {%- if ok -%}y{%- endif %}")).toEqual(["name", "ok"]);
  });

  it("keeps working on half-typed templates", () => {
    expect(detectVariables("Hello {{ name }} and {{ oth")).toEqual(["name"]);
    expect(detectVariables("{{ }}")).toEqual([]);
  });

  it("splits templates into blocks", () => {
    expect(blocks("a {{ x }} b {% if y %}{% endif %}").map((b) => b.kind)).toEqual(["expr", "stmt", "stmt"]);
  });
});

describe("detectContentVariables", () => {
  it("collects across chat messages, including placeholders", () => {
    expect(
      detectContentVariables([
        { role: "system", content: "You help {{ company }} customers." },
        { type: "placeholder", name: "history" },
        { role: "user", content: "{{ question }} (from {{ company }})" },
      ]),
    ).toEqual(["company", "history", "question"]);
  });
});
