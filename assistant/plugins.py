"""One place that knows the pluggable parts by name: loaders, embedders, answer backends, retrieval stages.

Each part registers itself with a decorator; an unknown name fails with the list of known ones."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

from .errors import RegistryError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(item: T) -> T:
            self._items[name] = item
            return item

        return add

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.kind} '{name}': known {self.kind}s are {known}") from None

    def names(self) -> list[str]:
        return sorted(self._items)


LOADERS: Registry[Callable] = Registry("loader")
PARSERS: Registry[Callable] = Registry("parser")
EMBEDDERS: Registry[Callable] = Registry("embedder")
BACKENDS: Registry[Callable] = Registry("answer backend")
STAGES: Registry[Callable] = Registry("retrieval stage")
