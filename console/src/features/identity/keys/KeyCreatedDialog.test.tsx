import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { CreatedKey } from "../../../api/types";
import { KeyCreatedDialog } from "./KeyCreatedDialog";

const created: CreatedKey = {
  id: 7,
  name: "ci",
  kind: "api",
  prefix: "py_ab12",
  public_key: null,
  role: "editor",
  project: "default",
  user_id: 1,
  service_account: false,
  created_by: "Administrator",
  created_at: "2026-11-22T10:00:00Z",
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  key: "py_ab12_secret-value",
};

describe("KeyCreatedDialog", () => {
  it("shows the new key once, warns that it will not be shown again, and copies it", async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const onClose = vi.fn();
    render(<KeyCreatedDialog created={created} onClose={onClose} />);
    expect(screen.getByRole("dialog", { name: "API key ci created" })).toBeInTheDocument();
    expect(screen.getByText(/you won't see it again/i)).toBeInTheDocument();
    expect(screen.getByLabelText("Your new API key")).toHaveValue("py_ab12_secret-value");
    expect(screen.getByLabelText("Your new API key")).toHaveAttribute("readonly");
    await user.click(screen.getByRole("button", { name: "Copy key" }));
    expect(writeText).toHaveBeenCalledWith("py_ab12_secret-value");
    expect(await screen.findByText("Copied to the clipboard.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "I saved it, close" }));
    expect(onClose).toHaveBeenCalled();
  });

  it("selects the key for a manual copy when the clipboard is refused", async () => {
    const user = userEvent.setup();
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: () => Promise.reject(new Error("denied")) },
      configurable: true,
    });
    render(<KeyCreatedDialog created={created} onClose={() => undefined} />);
    await user.click(screen.getByRole("button", { name: "Copy key" }));
    expect(await screen.findByText(/Could not copy/)).toBeInTheDocument();
  });
});
