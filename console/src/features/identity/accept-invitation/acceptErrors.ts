// What went wrong when accepting an invitation, in words for the invited person
// (POST /auth/invitations/accept, docs/api-accounts.md#invitations).
import { ApiError, errorMessage } from "../../../api/client";

export interface AcceptProblem {
  title: string;
  text: string;
  /** Which field to fix (focused after the error), when one is to blame. */
  field?: "password" | "token";
  /** Offer the sign-in page (already a member). */
  signIn?: boolean;
}

function retryAfter(error: ApiError): number | null {
  const details = error.details as { retry_after?: unknown } | null;
  const seconds = Number(details?.retry_after);
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : null;
}

function blames(error: ApiError, field: string): boolean {
  const details = Array.isArray(error.details) ? (error.details as { loc?: unknown }[]) : [];
  return details.some((d) => Array.isArray(d.loc) && d.loc.includes(field));
}

export const UNUSABLE: AcceptProblem = {
  title: "This invitation cannot be used.",
  text:
    "It is unknown, expired, revoked or already accepted. Ask the workspace admin for a new invitation.",
  field: "token",
};

export function acceptProblem(error: unknown): AcceptProblem {
  if (!(error instanceof ApiError)) return { title: "Could not accept the invitation.", text: errorMessage(error) };
  if (error.code === "invitation_unusable") return UNUSABLE;
  if (error.code === "wrong_password") {
    return {
      title: "Wrong password.",
      text:
        "An account with the invited email already exists: enter that account's current password, not a new one. Forgot it? Ask an instance administrator to reset it.",
      field: "password",
    };
  }
  if (error.status === 429) {
    const wait = retryAfter(error);
    return {
      title: "Too many attempts.",
      text: `Too many wrong passwords for this email. Wait ${wait ? `${wait} second${wait === 1 ? "" : "s"}` : "a moment"} and try again.`,
      field: "password",
    };
  }
  if (error.status === 422) {
    if (blames(error, "token")) return UNUSABLE;
    if (blames(error, "password")) {
      return {
        title: "Choose a longer password.",
        text: "A new account needs a password of at least 10 characters.",
        field: "password",
      };
    }
    return { title: "Check the form.", text: error.message };
  }
  if (error.status === 409) {
    return { title: "Already a member.", text: error.message, signIn: true };
  }
  return { title: "Could not accept the invitation.", text: error.message };
}
