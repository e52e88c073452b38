import { useState } from "react";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ChatMessages } from "./ChatMessages";
import { toDraftMessages, type DraftMessage } from "./draft";

function Harness({ initial, onState }: { initial: DraftMessage[]; onState: (m: DraftMessage[]) => void }) {
  const [messages, setMessages] = useState(initial);
  return (
    <ChatMessages
      messages={messages}
      onChange={(next) => {
        setMessages(next);
        onState(next);
      }}
    />
  );
}

function setup() {
  let state: DraftMessage[] = [];
  const initial = toDraftMessages([
    { role: "system", content: "Be brief." },
    { role: "user", content: "{{ question }}" },
  ]);
  state = initial;
  render(<Harness initial={initial} onState={(m) => (state = m)} />);
  const summary = () =>
    state.map((m) => (m.kind === "placeholder" ? `placeholder:${m.name}` : `${m.role}:${m.content}`));
  return { summary };
}

describe("ChatMessages", () => {
  it("lists each message with its role and content", () => {
    setup();
    const items = screen.getAllByTestId("chat-message");
    expect(items).toHaveLength(2);
    expect(within(items[0]!).getByLabelText("Message 1 role")).toHaveValue("system");
    expect(within(items[1]!).getByRole("textbox", { name: /Message 2 content/ })).toHaveTextContent("{{ question }}");
  });

  it("adds a message with the next sensible role", async () => {
    const user = userEvent.setup();
    const { summary } = setup();
    await user.click(screen.getByRole("button", { name: "Add message" }));
    expect(summary()).toEqual(["system:Be brief.", "user:{{ question }}", "assistant:"]);
    expect(screen.getAllByTestId("chat-message")).toHaveLength(3);
  });

  it("removes a message", async () => {
    const user = userEvent.setup();
    const { summary } = setup();
    await user.click(screen.getByRole("button", { name: "Remove message 1" }));
    expect(summary()).toEqual(["user:{{ question }}"]);
  });

  it("reorders messages with the move buttons and keeps focus on the moved one", async () => {
    const user = userEvent.setup();
    const { summary } = setup();
    expect(screen.getByRole("button", { name: "Move message 1 up" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Move message 2 up" }));
    expect(summary()).toEqual(["user:{{ question }}", "system:Be brief."]);
    // the moved message is now first: its "up" button is disabled, so focus lands on "down"
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Move message 1 down" }));
    await user.click(screen.getByRole("button", { name: "Move message 1 down" }));
    expect(summary()).toEqual(["system:Be brief.", "user:{{ question }}"]);
  });

  it("changes a role and turns a message into a history placeholder", async () => {
    const user = userEvent.setup();
    const { summary } = setup();
    await user.selectOptions(screen.getByLabelText("Message 1 role"), "assistant");
    expect(summary()[0]).toBe("assistant:Be brief.");
    await user.selectOptions(screen.getByLabelText("Message 1 role"), "placeholder");
    expect(summary()[0]).toBe("placeholder:history");
    expect(screen.getByLabelText("Variable holding the message list")).toHaveValue("history");
  });
});
