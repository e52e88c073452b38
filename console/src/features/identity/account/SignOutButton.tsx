import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { auth } from "../../../api/endpoints";

export function SignOutButton() {
  const client = useQueryClient();
  const navigate = useNavigate();
  async function signOut() {
    try {
      await auth.logout();
    } finally {
      client.clear();
      navigate("/signin", { replace: true });
    }
  }
  return (
    <button type="button" className="btn small" onClick={() => void signOut()}>
      Sign out
    </button>
  );
}
