// Server-sent events parsed as the bytes arrive (the WHATWG event-stream format): a
// line ends at CRLF, LF or CR (also when a CRLF is split across two chunks), a blank
// line dispatches the event, ":" starts a comment, several data lines join with "\n".

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private buffer = "";
  /** Where the scan for a line end resumes in `buffer` (what was scanned holds none). */
  private scanned = 0;
  private pendingCR = false;
  private started = false;
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  private readonly onEvent: (event: SseEvent) => void;

  constructor(onEvent: (event: SseEvent) => void) {
    this.onEvent = onEvent;
  }

  /** Feeds decoded text; every event completed by it is dispatched before it returns. */
  push(chunk: string): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.pendingCR) {
      this.pendingCR = false;
      if (text.startsWith("\n")) text = text.slice(1);
    }
    this.buffer += text;
    let start = 0;
    const buffer = this.buffer;
    for (let i = this.scanned; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(buffer.slice(start, i));
      if (c === 13) {
        if (i + 1 === buffer.length) this.pendingCR = true;
        else if (buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = buffer.slice(start);
    this.scanned = this.buffer.length;
  }

  /** The stream ended: an event not closed by a blank line is dropped, as the format says. */
  end(): void {
    this.buffer = "";
    this.scanned = 0;
    this.data = [];
    this.event = "";
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) {
        this.onEvent({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

/** Reads a response body to its end, dispatching each event as soon as it is complete. */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (event: SseEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(onEvent);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
  } finally {
    reader.releaseLock();
  }
}
