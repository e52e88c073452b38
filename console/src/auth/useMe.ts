import { useQuery } from "@tanstack/react-query";
import { auth } from "../api/endpoints";
import { keys } from "../api/keys";

export function useMe() {
  return useQuery({ queryKey: keys.me, queryFn: auth.me, staleTime: 5 * 60_000 });
}
