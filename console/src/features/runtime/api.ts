// The provider routes the console uses (docs/providers.md): the workspace's connections
// (keys never returned, only `api_key_hint`) and its price overrides.
import { request } from "../../api/client";
import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type Connection = Schemas["ConnectionPublic"];
export type ConnectionCreate = Schemas["ConnectionCreate"];
export type ConnectionUpdate = Schemas["ConnectionUpdate"];
export type ConnectionModels = Schemas["ConnectionModelsPublic"];
export type PriceOverride = Schemas["PriceOverridePublic"];
export type PriceOverrideCreate = Schemas["PriceOverrideCreate"];

const enc = encodeURIComponent;

export const providers = {
  list: () => request<Schemas["ConnectionsPublic"]>("/providers"),
  create: (body: ConnectionCreate) => request<Connection>("/providers", { method: "POST", body }),
  update: (name: string, body: ConnectionUpdate) =>
    request<Connection>(`/providers/${enc(name)}`, { method: "PATCH", body }),
  remove: (name: string) => request<undefined>(`/providers/${enc(name)}`, { method: "DELETE" }),
  models: (name: string) => request<ConnectionModels>(`/providers/${enc(name)}/models`),
  prices: () => request<Schemas["PriceOverridesPublic"]>("/providers/prices"),
  createPrice: (body: PriceOverrideCreate) =>
    request<PriceOverride>("/providers/prices", { method: "POST", body }),
  removePrice: (id: number) => request<undefined>(`/providers/prices/${id}`, { method: "DELETE" }),
};
