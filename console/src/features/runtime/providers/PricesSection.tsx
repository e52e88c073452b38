import { useId, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ConfirmDialog } from "../../../components/ConfirmDialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { absoluteTime } from "../../../lib/format";
import { providers, type PriceOverride } from "../api";
import { runtimeKeys, runtimeQueries } from "../queries";
import { priceBody, EMPTY_PRICE, type PriceForm } from "./priceForm";

/** The workspace's own model prices, which win over the bundled price table. */
export function PricesSection({ denied }: { denied: string | null }) {
  const id = useId();
  const list = useQuery(runtimeQueries.prices());
  const client = useQueryClient();
  const [form, setForm] = useState<PriceForm>(EMPTY_PRICE);
  const [formError, setFormError] = useState("");
  const [removing, setRemoving] = useState<PriceOverride | null>(null);
  const [status, setStatus] = useState("");
  const create = useMutation({
    mutationFn: providers.createPrice,
    onSuccess: async (price) => {
      await client.invalidateQueries({ queryKey: runtimeKeys.prices });
      setForm(EMPTY_PRICE);
      setStatus(`Price for ${price.model} was added.`);
    },
  });
  const remove = useMutation({
    mutationFn: (price: PriceOverride) => providers.removePrice(price.id),
    onSuccess: async (_, price) => {
      await client.invalidateQueries({ queryKey: runtimeKeys.prices });
      setRemoving(null);
      setStatus(`Price for ${price.model} was deleted.`);
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    setStatus("");
    const { body, error } = priceBody(form);
    setFormError(error ?? "");
    if (body) create.mutate(body);
  }
  const input = (name: keyof PriceForm, label: string, extra: Record<string, unknown> = {}) => (
    <label className="field">
      <span>{label}</span>
      <input value={form[name]} onChange={(e) => setForm({ ...form, [name]: e.target.value })} {...extra} />
    </label>
  );

  return (
    <section className="stack" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Price overrides</h2>
      <p className="hint">
        Prices in USD per million tokens, for a model on one provider or on any, from a date on. Generations started
        from then are priced with them instead of the bundled price table; a model with no price has an unknown cost.
      </p>
      <p className="sr-only" role="status">
        {status}
      </p>
      {status && <div className="notice ok">{status}</div>}
      {denied === null && (
        <form className="panel price-form" onSubmit={submit} aria-label="Add a price override" noValidate>
          {input("model", "Model", { required: true, placeholder: "e.g. gpt-4o" })}
          {input("provider", "Provider (optional)", { placeholder: "any" })}
          {input("input", "Input $/Mtok", { required: true, inputMode: "decimal" })}
          {input("output", "Output $/Mtok", { required: true, inputMode: "decimal" })}
          {input("cached", "Cached input $/Mtok", { inputMode: "decimal", placeholder: "optional" })}
          {input("from", "In force from", { type: "datetime-local" })}
          <button type="submit" className="btn primary" disabled={create.isPending}>
            Add price
          </button>
          {formError && (
            <p className="field-error" role="alert">
              {formError}
            </p>
          )}
          {create.error ? <ErrorMessage error={create.error} title="Could not add the price." /> : null}
        </form>
      )}
      {list.error ? <ErrorMessage error={list.error} onRetry={() => void list.refetch()} /> : null}
      {!list.data && !list.error && <Loading label="Loading prices…" />}
      {list.data && list.data.items.length === 0 && <p className="muted">No price overrides: the bundled prices apply.</p>}
      {list.data && list.data.items.length > 0 && (
        <div className="table-wrap">
          <table className="price-table">
            <caption className="sr-only">Price overrides</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Provider</th>
                <th scope="col" className="num">Input</th>
                <th scope="col" className="num">Output</th>
                <th scope="col" className="num">Cached input</th>
                <th scope="col">From</th>
                {denied === null && (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id} data-testid={`price-${p.id}`}>
                  <td className="wrap">
                    <code>{p.model}</code>
                  </td>
                  <td>{p.provider ?? <span className="muted">any</span>}</td>
                  <td className="num">${p.input_per_mtok}</td>
                  <td className="num">${p.output_per_mtok}</td>
                  <td className="num">
                    {p.cached_input_per_mtok === null ? <span className="muted">–</span> : `$${p.cached_input_per_mtok}`}
                  </td>
                  <td>
                    <time dateTime={p.effective_from}>{absoluteTime(p.effective_from)}</time>
                  </td>
                  {denied === null && (
                    <td>
                      <button
                        type="button"
                        className="btn small danger"
                        onClick={() => setRemoving(p)}
                        aria-label={`Delete the price of ${p.model}${p.provider ? ` on ${p.provider}` : ""}`}
                      >
                        Delete…
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing && (
        <ConfirmDialog
          title={`Delete the price of ${removing.model}?`}
          confirmLabel="Delete price"
          danger
          busy={remove.isPending}
          error={remove.error}
          onCancel={() => {
            setRemoving(null);
            remove.reset();
          }}
          onConfirm={() => remove.mutate(removing)}
        >
          <p>Generations priced from now on use the next price in force, or the bundled table.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
