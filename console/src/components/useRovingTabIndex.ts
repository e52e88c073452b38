// A group of buttons that is one tab stop: Tab enters the group at its current item and
// leaves it at once; the arrow keys (and Home, End) move between the items inside. For
// the library's folder tree and tag chips, so a keyboard user does not tab through every
// folder and tag to reach the prompts.
import { useRef, useState, type KeyboardEvent } from "react";

const NEXT = new Set(["ArrowDown", "ArrowRight"]);
const PREVIOUS = new Set(["ArrowUp", "ArrowLeft"]);

export interface Roving {
  /** On the element around the items. */
  onKeyDown: (event: KeyboardEvent<HTMLElement>) => void;
  /** On each item, with its place in reading order. */
  item: (index: number) => {
    tabIndex: number;
    onFocus: () => void;
    ref: (element: HTMLElement | null) => void;
  };
}

/** `count` items; `initial` is the item Tab lands on first (e.g. the selected one). */
export function useRovingTabIndex(count: number, initial = 0): Roving {
  const [chosen, setChosen] = useState<number | null>(null);
  const elements = useRef<(HTMLElement | null)[]>([]);
  const current = Math.min(Math.max(chosen ?? initial, 0), Math.max(count - 1, 0));

  const move = (index: number) => {
    const target = (index + count) % count;
    setChosen(target);
    elements.current[target]?.focus();
  };

  return {
    onKeyDown: (event) => {
      if (count === 0 || event.altKey || event.ctrlKey || event.metaKey) return;
      const at = elements.current.findIndex((el) => el === document.activeElement);
      if (at < 0) return;
      if (NEXT.has(event.key)) move(at + 1);
      else if (PREVIOUS.has(event.key)) move(at - 1);
      else if (event.key === "Home") move(0);
      else if (event.key === "End") move(count - 1);
      else return;
      event.preventDefault();
    },
    item: (index) => ({
      tabIndex: index === current ? 0 : -1,
      onFocus: () => setChosen(index),
      ref: (element) => {
        elements.current[index] = element;
      },
    }),
  };
}
