import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ErrorBoundary } from "./ErrorBoundary";

let explode = true;
function Bomb() {
  if (explode) throw new Error("the prompt list could not be drawn");
  return <p>all good</p>;
}

describe("ErrorBoundary", () => {
  it("shows the error instead of a blank page, and can try again", async () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    render(
      <ErrorBoundary>
        <Bomb />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("the prompt list could not be drawn");
    expect(screen.getByRole("button", { name: "Reload the page" })).toBeInTheDocument();
    explode = false;
    await userEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(screen.getByText("all good")).toBeInTheDocument();
    quiet.mockRestore();
  });
});
