import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// Debounced checks (300 ms) and CodeMirror updates can take a while on a busy machine.
configure({ asyncUtilTimeout: 3000 });

// CodeMirror measures text with Range rectangles, which jsdom does not lay out.
if (typeof Range !== "undefined") {
  const empty = { length: 0, item: () => null, [Symbol.iterator]: [][Symbol.iterator] };
  Range.prototype.getClientRects = () => empty as unknown as DOMRectList;
  Range.prototype.getBoundingClientRect = () => new DOMRect(0, 0, 0, 0);
}
