import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { EditorView } from "@codemirror/view";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Prompt } from "../../../api/types";
import { json, mockApi, renderAt, type Call } from "../../../test/utils";
import EditorPage from "./EditorPage";
import { detectContentVariables } from "./variables";

function makePrompt(number: number, content: string, message = ""): Prompt {
  return {
    id: 1,
    project: "default",
    name: "greeting",
    folder: "support",
    type: "text",
    description: "",
    tags: ["email"],
    metadata: {},
    latest_version: number,
    labels: { latest: number },
    created_at: "2026-11-20T10:00:00Z",
    created_by: "admin@example.com",
    updated_at: "2026-11-22T10:00:00Z",
    updated_by: "admin@example.com",
    deleted_at: null,
    version: {
      number,
      branch: "main",
      type: "text",
      content,
      config: { model: "fake/echo", temperature: 0.2 },
      variables: [],
      references: [],
      content_hash: "sha256:x",
      parent: number - 1 || null,
      merge_parent: null,
      message,
      author: "admin@example.com",
      created_at: "2026-11-22T10:00:00Z",
      labels: ["latest"],
    },
  };
}

const validate = (call: Call) => {
  const { content } = call.body as { content: string };
  const errors = content.includes("{% if")
    ? [{ field: "content", line: 2, column: 3, message: "Unexpected end of template: missing endif" }]
    : [];
  return { valid: errors.length === 0, variables: detectContentVariables(content), references: [], errors };
};
const renderTemplate = (call: Call) => {
  const { content, variables } = call.body as { content: string; variables: Record<string, string> };
  return { type: "text", rendered: content.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, v: string) => variables[v] ?? "") };
};

function editorView(name: RegExp | string): EditorView {
  const content = screen.getByRole("textbox", { name });
  const view = EditorView.findFromDOM(content);
  if (!view) throw new Error("no CodeMirror view");
  return view;
}

function typeAtEnd(view: EditorView, text: string) {
  act(() => {
    view.dispatch({ changes: { from: view.state.doc.length, insert: text } });
  });
}

const PATH = "/p/default/prompts/greeting";
const ROUTE = "/p/:project/prompts/:name";

describe("prompt editor", () => {
  let current: Prompt;
  let api: ReturnType<typeof mockApi>;

  beforeEach(() => {
    current = makePrompt(3, "Hello {{ name }}");
    api = mockApi({
      "GET /prompts/greeting": () => current,
      "GET /models": () => ({ items: [{ id: "fake/echo", provider: "fake", name: "Echo" }] }),
      "POST /templates/validate": validate,
      "POST /templates/render": renderTemplate,
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("lists variables as they are typed and previews the rendered prompt", async () => {
    const user = userEvent.setup();
    renderAt(<EditorPage />, { path: PATH, route: ROUTE });
    const view = await waitFor(() => editorView("Prompt template"));
    expect(screen.getByRole("textbox", { name: "name" })).toBeInTheDocument();

    typeAtEnd(view, " from {{ city }}");
    // detected in the browser at once, before any server answer
    const vars = screen.getByRole("list", { name: "Detected variables" });
    expect(within(vars).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["name", "city"]);

    await user.type(screen.getByRole("textbox", { name: "name" }), "Ada");
    await user.type(screen.getByRole("textbox", { name: "city" }), "Paris");
    await waitFor(() => expect(screen.getByText("Hello Ada from Paris")).toBeInTheDocument());
    const renders = api.calls.filter((c) => c.path === "/templates/render");
    expect(renders.at(-1)?.body).toMatchObject({ variables: { name: "Ada", city: "Paris" } });
  });

  it("shows validation errors at the line that caused them", async () => {
    renderAt(<EditorPage />, { path: PATH, route: ROUTE });
    const view = await waitFor(() => editorView("Prompt template"));
    typeAtEnd(view, "\n  {% if vip %}VIP");
    const errors = await screen.findByRole("list", { name: "Template errors" });
    expect(errors).toHaveTextContent("line 2, column 3: Unexpected end of template: missing endif");
    await waitFor(() => expect(document.querySelector(".cm-lintRange-error")).not.toBeNull());
    const marked = document.querySelector(".cm-lintRange-error");
    expect(marked?.closest(".cm-line")?.textContent).toBe("  {% if vip %}VIP");
  });

  it("saves with Ctrl+S, sending the commit message and the base version", async () => {
    const user = userEvent.setup();
    const patches: Call[] = [];
    api = mockApi({
      "GET /prompts/greeting": () => current,
      "GET /models": () => ({ items: [] }),
      "POST /templates/validate": validate,
      "POST /templates/render": renderTemplate,
      "PATCH /prompts/greeting": (call) => {
        patches.push(call);
        current = makePrompt(4, (call.body as { content: string }).content, "friendlier");
        return current;
      },
    });
    document.cookie = "promptyard_csrf=token-123";
    renderAt(<EditorPage />, { path: PATH, route: ROUTE });
    const view = await waitFor(() => editorView("Prompt template"));
    typeAtEnd(view, "!");
    await user.type(screen.getByLabelText("Commit message"), "friendlier");
    fireEvent.keyDown(window, { key: "s", ctrlKey: true });
    await screen.findByText("Saved as version 4.");
    expect(patches).toHaveLength(1);
    expect(patches[0]?.body).toMatchObject({ content: "Hello {{ name }}!", base_version: 3, commit_message: "friendlier" });
    expect(patches[0]?.headers.get("X-CSRF-Token")).toBe("token-123");
  });

  describe("when someone else saved meanwhile", () => {
    function conflictApi() {
      const patches: Call[] = [];
      api = mockApi({
        "GET /prompts/greeting": () => current,
        "GET /models": () => ({ items: [] }),
        "POST /templates/validate": validate,
        "POST /templates/render": renderTemplate,
        "PATCH /prompts/greeting": (call) => {
          patches.push(call);
          const body = call.body as { content: string; base_version: number };
          if (body.base_version !== current.latest_version) {
            return json(409, {
              error: {
                code: "stale_version",
                message: `prompt 'greeting' is at version ${current.latest_version} on branch main, but the update was based on version ${body.base_version}; reload and apply your change again`,
                details: { current: current.latest_version, base_version: body.base_version },
              },
            });
          }
          current = makePrompt(current.latest_version + 1, body.content);
          return current;
        },
      });
      return patches;
    }

    async function editAndSave(user: ReturnType<typeof userEvent.setup>) {
      renderAt(<EditorPage />, { path: PATH, route: ROUTE });
      const view = await waitFor(() => editorView("Prompt template"));
      // a colleague saves version 4 while we edit version 3
      current = makePrompt(4, "Hi {{ name }}, welcome back", "colleague's change");
      typeAtEnd(view, " and welcome");
      await user.click(screen.getByRole("button", { name: /^Save/ }));
      return screen.findByRole("alertdialog", { name: "Someone saved this prompt while you were editing" });
    }

    it("explains the conflict and can save on top of the newer version", async () => {
      const user = userEvent.setup();
      const patches = conflictApi();
      const dialog = await editAndSave(user);
      expect(dialog).toHaveTextContent("You started from version 3, but the prompt is now at version 4");
      expect(dialog).toHaveTextContent("reload and apply your change again");
      expect(within(dialog).getByRole("link", { name: /Compare versions 3 and 4/ })).toHaveAttribute(
        "href",
        "/p/default/prompts/greeting/history?from=3&to=4",
      );
      await user.click(within(dialog).getByRole("button", { name: "Save mine on top of version 4" }));
      await screen.findByText("Saved as version 5.");
      expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
      expect(patches.map((p) => (p.body as { base_version: number }).base_version)).toEqual([3, 4]);
      expect(current.version.content).toBe("Hello {{ name }} and welcome");
    });

    it("can discard the local change and load the newer version", async () => {
      const user = userEvent.setup();
      const patches = conflictApi();
      const dialog = await editAndSave(user);
      await user.click(within(dialog).getByRole("button", { name: "Discard mine, load version 4" }));
      await screen.findByText("Loaded version 4.");
      expect(editorView("Prompt template").state.doc.toString()).toBe("Hi {{ name }}, welcome back");
      expect(patches).toHaveLength(1);
    });

    it("keeps the local change when the dialog is dismissed", async () => {
      const user = userEvent.setup();
      conflictApi();
      await editAndSave(user);
      await user.keyboard("{Escape}");
      expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
      expect(editorView("Prompt template").state.doc.toString()).toBe("Hello {{ name }} and welcome");
      expect(screen.getByText(/unsaved changes/)).toBeInTheDocument();
    });
  });
});
