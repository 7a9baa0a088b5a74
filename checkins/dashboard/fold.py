"""Folding facts into rollup rows, with numpy: sums and distinct people per combination of dimensions.

A fact is "this person (of this side, department, location, program) contributes these measures to this
period". The rollup builder hands facts over as columns (numpy arrays, one element per fact); fold turns
them into one row per combination of their dimensions, for the dimensions as given and for every way of
leaving the optional ones out ("every program", "every department"...), counting each person once per
row. Thousands of facts or millions, it is a handful of vectorised passes, never a Python loop per fact.
"""

from collections import defaultdict
from dataclasses import dataclass
from itertools import product

import numpy as np

ALL = 0  # the code of "every ..." in an optional dimension; real values are coded from 1


class Codes:
    """Small integers for the values of one dimension: 0 is reserved for "all of them"."""

    def __init__(self):
        self.code_of: dict = {}
        self.values: list = [None]

    def code(self, value) -> int:
        code = self.code_of.get(value)
        if code is None:
            code = self.code_of[value] = len(self.values)
            self.values.append(value)
        return code

    def codes(self, values) -> np.ndarray:
        return np.fromiter((self.code(v) for v in values), dtype=np.int64, count=len(values))

    def value(self, code: int):
        return self.values[code]


@dataclass
class _Chunk:
    dims: dict[str, np.ndarray]
    person: np.ndarray | None
    people: str | None
    measures: dict[str, np.ndarray]
    size: int


class Fold:
    """Facts by grain, then rows. `dims` in key order; `optional` may be left out (coded ALL)."""

    def __init__(self, dims: tuple[str, ...], optional: tuple[str, ...], codes: dict[str, Codes]):
        self.dims, self.optional, self.codes = dims, optional, codes
        self.chunks: dict[str, list[_Chunk]] = defaultdict(list)

    def add(self, grain: str, *, people: str | None = None, person=None, **columns) -> None:
        """Facts of one grain: each dimension and measure an array (or one value for every fact), and when
        `people` names a column, the person behind each fact (counted once per row in that column)."""
        sizes = [len(v) for v in columns.values() if isinstance(v, np.ndarray)]
        if person is not None:
            sizes.append(len(person))
        size = sizes[0] if sizes else 0
        if size == 0:
            return

        def column(value, dtype=np.int64):
            return (
                value.astype(dtype, copy=False)
                if isinstance(value, np.ndarray)
                else np.full(size, value, dtype)
            )

        dims = {name: column(columns.pop(name)) for name in self.dims}
        measures = {name: column(value) for name, value in columns.items()}
        self.chunks[grain].append(
            _Chunk(dims, None if person is None else column(person), people, measures, size)
        )

    def rows(self) -> list[dict]:
        out = []
        for grain, chunks in self.chunks.items():
            radix = {d: int(max(int(c.dims[d].max()) for c in chunks)) + 1 for d in self.dims}
            for dropped in product((False, True), repeat=len(self.optional)):
                drop = {d for d, gone in zip(self.optional, dropped, strict=True) if gone}
                out.extend(self._rows(grain, chunks, radix, drop))
        return out

    def _rows(self, grain: str, chunks: list[_Chunk], radix: dict[str, int], drop: set[str]) -> list[dict]:
        codes = []
        for chunk in chunks:
            code = np.zeros(chunk.size, dtype=np.int64)
            for d in self.dims:
                code = code * radix[d] + (ALL if d in drop else chunk.dims[d])
            codes.append(code)
        keys, inverse = np.unique(np.concatenate(codes), return_inverse=True)
        slices = np.split(inverse, np.cumsum([c.size for c in chunks])[:-1])
        totals: dict[str, np.ndarray] = {}
        people: dict[str, list[np.ndarray]] = defaultdict(list)
        for chunk, where in zip(chunks, slices, strict=True):
            for name, values in chunk.measures.items():
                counted = np.bincount(where, weights=values, minlength=len(keys))
                totals[name] = totals[name] + counted if name in totals else counted
            if chunk.people:
                people[chunk.people].append(where.astype(np.int64) * (1 << 31) + chunk.person)
        for name, pairs in people.items():
            distinct = np.unique(np.concatenate(pairs))
            totals[name] = np.bincount(distinct >> 31, minlength=len(keys))
        # Decode each key back into its dimensions' values, last dimension first.
        decoded: dict[str, np.ndarray] = {}
        rest = keys.copy()
        for d in reversed(self.dims):
            rest, decoded[d] = np.divmod(rest, radix[d])
        rows = []
        columns = {name: values.astype(np.int64).tolist() for name, values in totals.items()}
        dim_codes = {d: decoded[d].tolist() for d in self.dims}
        for i in range(len(keys)):
            row = {"grain": grain}
            for d in self.dims:
                row[d] = self.codes[d].value(dim_codes[d][i])
            for name, values in columns.items():
                row[name] = values[i]
            if any(row[name] for name in columns):
                rows.append(row)
        return rows
