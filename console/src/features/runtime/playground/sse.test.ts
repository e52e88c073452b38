import { describe, expect, it } from "vitest";
import { readSse, SseParser, type SseEvent } from "./sse";
import { applyEvent, runSpec, settle, toRunEvent, variantConfig, type ColumnResult } from "./runs";

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

const STREAM =
  'event: delta\ndata: {"index":0,"text":"Hel"}\n\n' +
  'event: delta\ndata: {"index":1,"text":"Wor"}\n\n' +
  'event: done\ndata: {"index":0,"output":"Hello"}\n\n' +
  'event: end\ndata: {"runs":2}\n\n';

describe("SseParser", () => {
  it("dispatches each event once its blank line has arrived, not before", () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push("event: delta\ndata: {\"index\":0,");
    expect(events).toEqual([]);
    parser.push('"text":"a"}\n');
    expect(events).toEqual([]);
    parser.push("\n");
    expect(events).toEqual([{ event: "delta", data: '{"index":0,"text":"a"}', id: undefined }]);
  });

  it("gives the same events however the stream is cut into chunks", () => {
    const whole = parse([STREAM]);
    expect(whole.map((e) => e.event)).toEqual(["delta", "delta", "done", "end"]);
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < STREAM.length; i += size) chunks.push(STREAM.slice(i, i + size));
      expect(parse(chunks)).toEqual(whole);
    }
  });

  it("accepts CRLF, CR and LF line ends, also a CRLF split across chunks", () => {
    const expected = [{ event: "delta", data: "x", id: undefined }, { event: "end", data: "y", id: undefined }];
    expect(parse(["event: delta\r\ndata: x\r\n\r\nevent: end\r\ndata: y\r\n\r\n"])).toEqual(expected);
    expect(parse(["event: delta\rdata: x\r\revent: end\rdata: y\r\r"])).toEqual(expected);
    expect(parse(["event: delta\r", "\ndata: x\r", "\n\r", "\nevent: end\ndata: y\n\n"])).toEqual(expected);
  });

  it("joins data lines, skips comments, keeps ids, defaults the event to message", () => {
    expect(parse([": keep-alive\n\ndata: a\ndata:b\nid: 7\n\n"])).toEqual([{ event: "message", data: "a\nb", id: "7" }]);
  });

  it("drops an event the stream ended in the middle of, and a leading byte order mark", () => {
    expect(parse(["\ufeffevent: end\ndata: 1\n\nevent: delta\ndata: cut"])).toEqual([
      { event: "end", data: "1", id: undefined },
    ]);
  });

  it("reads a byte stream, multi-byte characters split between chunks included", async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"index":0,"text":"é…"}\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    await readSse(body, (e) => events.push(e));
    expect(events.map((e) => JSON.parse(e.data).text)).toEqual(["é…"]);
  });
});

describe("run events", () => {
  it("grow each column's output as its deltas arrive, then set its answer", () => {
    let results: Record<number, ColumnResult> = {
      10: { state: "running", output: "" },
      11: { state: "running", output: "" },
    };
    const ids = [10, 11];
    for (const e of parse([STREAM])) {
      const event = toRunEvent(e.event, e.data);
      if (event) results = applyEvent(results, ids, event);
    }
    expect(results[11]).toEqual({ state: "running", output: "Wor" });
    expect(results[10]!.state).toBe("done");
    expect(results[10]!.output).toBe("Hello");
    const error = toRunEvent("error", '{"index":1,"error":{"code":"provider_error","message":"boom"}}')!;
    results = applyEvent(results, ids, error);
    expect(results[11]!.state).toBe("error");
    expect(results[11]!.output).toBe("Wor");
  });

  it("mark columns still running as cancelled when the user stopped the stream", () => {
    const settled = settle({ 1: { state: "running", output: "par" }, 2: { state: "cancelled", output: "" } }, "cancelled");
    expect(settled[1]).toEqual({ state: "cancelled", output: "par" });
  });
});

describe("a column's run and a variant's saved config", () => {
  const base = { model: "openai/gpt-4o", temperature: 0.9, max_tokens: 50, top_p: 0.5 };
  const variant = { type: "text" as const, content: "Hi {{ x }}", from: 2, baseVersion: 3, baseConfig: base, temperature: "0.3", maxTokens: "" };

  it("sends a stored version, a label or the variant's content and parameters", () => {
    expect(runSpec({ id: 1, model: "fake/echo", target: "2", variant: null })).toEqual({ model: "fake/echo", version: 2 });
    expect(runSpec({ id: 1, model: "fake/echo", target: "label:production", variant: null })).toEqual({
      model: "fake/echo",
      label: "production",
    });
    expect(runSpec({ id: 1, model: "fake/upper", target: "2", variant })).toEqual({
      model: "fake/upper",
      type: "text",
      content: "Hi {{ x }}",
      config: { model: "fake/upper", temperature: 0.3, top_p: 0.5 },
    });
  });

  it("saves the version's config with the column's model and the variant's parameters", () => {
    expect(variantConfig(variant, "fake/echo")).toEqual({ model: "fake/echo", temperature: 0.3, top_p: 0.5 });
  });
});
