import { useQuery } from "@tanstack/react-query";
import { identityQueries } from "./queries";

export function useMe() {
  return useQuery(identityQueries.me());
}
