// Asks before a link click leaves a page with unsaved edits (a prompt's other tabs, the
// library, the header). A full reload or closing the tab is covered by "beforeunload".
import { useEffect, useState } from "react";
import { useNavigate } from "react-router";
import { Dialog } from "../../../components/Dialog";

/** The in-app address a plain left click on this event would follow, if any. */
function followedLink(event: MouseEvent): string | null {
  if (event.defaultPrevented || event.button !== 0) return null;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!(link instanceof HTMLAnchorElement) || link.hasAttribute("download")) return null;
  if (link.target && link.target !== "_self") return null;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin) return null;
  if (url.pathname === window.location.pathname && url.search === window.location.search) return null;
  return url.pathname + url.search + url.hash;
}

export function LeaveGuard({ when }: { when: boolean }) {
  const navigate = useNavigate();
  const [target, setTarget] = useState<string | null>(null);

  useEffect(() => {
    if (!when) return;
    // Capture phase on the document: runs before the router's own click handler.
    const onClick = (event: MouseEvent) => {
      const to = followedLink(event);
      if (to === null) return;
      event.preventDefault();
      event.stopPropagation();
      setTarget(to);
    };
    document.addEventListener("click", onClick, true);
    return () => document.removeEventListener("click", onClick, true);
  }, [when]);

  if (target === null || !when) return null;
  return (
    <Dialog
      title="Leave without saving?"
      role="alertdialog"
      onClose={() => setTarget(null)}
      footer={
        <>
          <button type="button" className="btn primary" data-autofocus onClick={() => setTarget(null)}>
            Stay and keep editing
          </button>
          <button
            type="button"
            className="btn danger"
            onClick={() => {
              setTarget(null);
              navigate(target);
            }}
          >
            Leave and discard my changes
          </button>
        </>
      }
    >
      <p>This prompt has changes that are not saved. Leaving this page discards them.</p>
    </Dialog>
  );
}
