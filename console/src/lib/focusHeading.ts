// After moving to another page, focus goes to the page's heading (not <body>), so a
// keyboard or screen-reader user starts reading where the new page starts.
import { useEffect, useRef } from "react";
import { useLocation, useNavigationType } from "react-router";

const WAIT_FRAMES = 120; // a lazily loaded page may take a moment to show its h1

function typingSomewhere(): boolean {
  const el = document.activeElement;
  if (!(el instanceof HTMLElement) || el === document.body) return false;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || !!el.closest("[role=dialog],[role=alertdialog]");
}

export function useFocusHeadingOnNavigate(mainId = "main"): void {
  const { pathname } = useLocation();
  const type = useNavigationType();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (type === "REPLACE") return; // e.g. a saved new prompt moving to its own address
    let frame = 0;
    let tries = 0;
    const attempt = () => {
      if (typingSomewhere()) return;
      const main = document.getElementById(mainId);
      const heading = main?.querySelector<HTMLElement>("h1");
      if (heading) {
        if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
        heading.focus();
      } else if (++tries < WAIT_FRAMES) frame = requestAnimationFrame(attempt);
      else main?.focus();
    };
    frame = requestAnimationFrame(attempt);
    return () => cancelAnimationFrame(frame);
  }, [pathname, type, mainId]);
}
