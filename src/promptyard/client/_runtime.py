"""Client methods of the runtime area (issue 9): the workspace's provider connections and
price overrides, mixed into :class:`promptyard.Client`. Keys go to the server and never
come back: answers carry ``api_key_hint`` (``sk-…abcd``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote


def connection_body(*, clear: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
    """The JSON of a create or update: the fields given, and ``null`` for ``clear``."""
    body = {key: value for key, value in fields.items() if value is not None}
    body.update({key: None for key in clear})
    return body


def _name(name: str) -> str:
    return quote(name, safe="")


class ProvidersMixin:
    """Methods call ``self._json(method, path, params=..., json_body=..., in_project=...)``."""

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:  # provided by Client
        raise NotImplementedError

    def list_providers(self) -> dict[str, Any]:
        """``{"items": [connection, ...]}``: the workspace's provider connections."""
        result: dict[str, Any] = self._json("GET", "/providers", in_project=False)
        return result

    def get_provider(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/providers/{_name(name)}", in_project=False)
        return result

    def create_provider(
        self,
        name: str,
        kind: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        models: list[str] | None = None,
        default_params: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        max_concurrency: int | None = None,
    ) -> dict[str, Any]:
        """Add a connection (admins); the key is stored encrypted and never returned."""
        body = connection_body(
            name=name,
            kind=kind,
            base_url=base_url,
            api_key=api_key,
            models=models,
            default_params=default_params,
            options=options,
            timeout_seconds=timeout_seconds,
            max_concurrency=max_concurrency,
        )
        result: dict[str, Any] = self._json("POST", "/providers", json_body=body, in_project=False)
        return result

    def update_provider(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        models: list[str] | None = None,
        default_params: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        max_concurrency: int | None = None,
        clear: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """Change the fields given; ``clear`` names fields to empty (``"api_key"``,
        ``"base_url"``)."""
        body = connection_body(
            clear=clear,
            base_url=base_url,
            api_key=api_key,
            models=models,
            default_params=default_params,
            options=options,
            timeout_seconds=timeout_seconds,
            max_concurrency=max_concurrency,
        )
        result: dict[str, Any] = self._json(
            "PATCH", f"/providers/{_name(name)}", json_body=body, in_project=False
        )
        return result

    def delete_provider(self, name: str) -> None:
        self._json("DELETE", f"/providers/{_name(name)}", in_project=False)

    def list_provider_models(self, name: str) -> dict[str, Any]:
        """``{"connection", "source", "items": [{"id", "model"}], "error"}``: listed by the
        provider where it offers a list, else the configured ones."""
        result: dict[str, Any] = self._json(
            "GET", f"/providers/{_name(name)}/models", in_project=False
        )
        return result

    def list_prices(self, model: str | None = None) -> dict[str, Any]:
        """``{"items": [...]}``: the workspace's price overrides."""
        params = [("model", model)] if model is not None else []
        result: dict[str, Any] = self._json(
            "GET", "/providers/prices", params=params, in_project=False
        )
        return result

    def set_price(
        self,
        model: str,
        *,
        input_per_mtok: float,
        output_per_mtok: float,
        cached_input_per_mtok: float | None = None,
        provider: str | None = None,
        effective_from: datetime | str | None = None,
    ) -> dict[str, Any]:
        """Price ``model`` (USD per million tokens) from ``effective_from`` on (admins)."""
        when = (
            effective_from.isoformat() if isinstance(effective_from, datetime) else effective_from
        )
        body = connection_body(
            model=model,
            provider=provider,
            input_per_mtok=input_per_mtok,
            output_per_mtok=output_per_mtok,
            cached_input_per_mtok=cached_input_per_mtok,
            effective_from=when,
        )
        result: dict[str, Any] = self._json(
            "POST", "/providers/prices", json_body=body, in_project=False
        )
        return result

    def delete_price(self, price_id: int) -> None:
        self._json("DELETE", f"/providers/prices/{int(price_id)}", in_project=False)
