import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Version } from "../../../api/types";
import { json, mockApi, renderAt } from "../../../test/utils";
import { MoveLabelDialog } from "./MoveLabelDialog";

const version = (number: number) => ({ number, message: `v${number}` }) as unknown as Version;

describe("MoveLabelDialog on a protected label", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("offers a prefilled change request when the server answers 409 review_required", async () => {
    mockApi({
      "PUT /prompts/greeting/labels/production": () =>
        json(409, {
          error: {
            code: "review_required",
            message: "label 'production' is protected in this project: open a change request",
            details: { label: "production" },
          },
        }),
    });
    renderAt(
      <MoveLabelDialog
        project="shop"
        name="greeting"
        versions={[version(2), version(1)]}
        labels={{ production: 1 }}
        initialLabel="production"
        initialVersion={2}
        onClose={() => undefined}
        onDone={() => undefined}
      />,
    );
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    await userEvent.click(screen.getByRole("button", { name: "Move production to v2" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("production is protected in this project.");
    expect(screen.getByRole("link", { name: "Open a change request" })).toHaveAttribute(
      "href",
      "/p/shop/reviews/new?prompt=greeting&version=2&label=production",
    );
  });
});
