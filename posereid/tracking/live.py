"""Online identities: each tracklet given a global identity as soon as it has enough evidence.

The gallery holds a row per tracklet: its camera, its first and last second, its embedding
(:func:`~posereid.tracking.tracklets.mean_of_best` of its embedded crops) and the pair features
of its best crops; rows belong to identities. Deciding a tracklet is the offline association
(:mod:`posereid.tracking.association`) one tracklet at a time:

1. its ``4 × shortlist`` nearest rows by embedding (an
   :class:`~posereid.retrieval.index.EmbeddingIndex` over the active rows);
2. the ``shortlist`` nearest of them in other cameras re-scored by the pair head
   (:func:`~posereid.tracking.association.rescore`), kept in a sparse table of re-scored pairs;
3. the distance to each identity among them is the average linkage over its rows (re-scored
   where known, else ``(1 - cos) / 2``); an identity with a row that cannot be the same person
   (:func:`~posereid.tracking.association.cannot_link_between`: same camera at the same time,
   or another camera within ``min_transit_s``) is out;
4. the nearest identity under ``threshold`` is the tracklet's (``matched``), else it is a new
   one (``appeared``).

When a tracklet ends, its row takes its final embedding and its identity is compared with the
others in the same way (average linkage between identities): one under ``threshold`` with no
cannot-link is merged into the older (``merged``); what was written under the younger id stays.
An identity none of whose tracklets has been seen for ``forget_after_s`` seconds leaves the
active gallery for ``DIR/<id>.npz`` (``left``), so memory stays bounded on an endless stream;
a person seen again after that gets a new identity.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from posereid.apis.predictor import Predictor
from posereid.retrieval.index import EmbeddingIndex
from posereid.utils.io import atomic_write

from .association import cannot_link_between, crop_pair_probabilities, rescore


@dataclass
class GalleryRow:
    """One tracklet in the gallery: ``camera``, ``track_id``, ``identity``, ``span`` ``[first,
    last]`` second, ``embedding`` ``(D,)`` unit length, ``pair_features`` of its best crops
    (each tensor ``(K, ...)``, best first), ``active`` while the tracklet grows."""

    camera: str
    track_id: int
    identity: int
    span: np.ndarray
    embedding: np.ndarray
    pair_features: dict
    active: bool = True


@dataclass
class Decision:
    """What became of a tracklet: ``identity``, ``kind`` (``'appeared'`` or ``'matched'``),
    ``distance`` to the identity it matched (None for a new one)."""

    identity: int
    kind: str
    distance: float | None


@dataclass
class Merge:
    """Identity ``absorbed`` merged into ``identity`` at average-linkage ``distance``."""

    identity: int
    absorbed: int
    distance: float


@dataclass
class Identity:
    """A global identity: its gallery ``rows``, and the ``camera`` and second it was last
    seen at."""

    rows: set = field(default_factory=set)
    camera: str = ''
    last_seen_s: float = 0.0


class OnlineIdentities:
    """The gallery of active identities and the decisions on it (module doc). ``predictor``
    (None: embeddings alone) re-scores each decision's ``shortlist`` with ``pair_weight`` over
    ``crops_per_side`` crops a side; ``archive``: the folder of the identities that left."""

    def __init__(self, predictor: Predictor | None, archive, threshold: float = 0.03,
                 min_transit_s: float | None = 1.0, shortlist: int = 5,
                 pair_weight: float = 0.5, crops_per_side: int = 3,
                 forget_after_s: float = 120.0):
        if forget_after_s <= 0:
            raise ValueError(f'forget_after_s must be > 0; got {forget_after_s}')
        self.predictor, self.archive = predictor, archive
        self.threshold, self.min_transit_s, self.shortlist = threshold, min_transit_s, shortlist
        self.pair_weight, self.crops_per_side = pair_weight, crops_per_side
        self.forget_after_s = forget_after_s
        self.rows: dict[int, GalleryRow] = {}
        self.identities: dict[int, Identity] = {}
        self.rescored: dict[tuple[int, int], float] = {}
        self.archived: list[int] = []
        self._next_row = self._next_identity = 1
        # the rows' embeddings in a buffer that doubles when full: a decision searches it
        # without copying the gallery (_numbers: the row at each position)
        self._matrix = np.zeros((0, 0), np.float32)
        self._numbers: list[int] = []
        self._position: dict[int, int] = {}

    def decide(self, camera: str, track_id: int, span, embedding: np.ndarray,
               pair_features: dict) -> tuple[int, Decision]:
        """A new tracklet's gallery row and its identity (module doc, steps 1-4)."""
        row = self._add_row(GalleryRow(camera, track_id, 0, np.asarray(span, float),
                                       embedding, pair_features))
        distances = self._identity_distances([row], self._near_identities(row))
        if distances and min(distances.values()) < self.threshold:
            identity = min(distances, key=lambda i: (distances[i], i))
            decision = Decision(identity, 'matched', distances[identity])
        else:
            identity, self._next_identity = self._next_identity, self._next_identity + 1
            self.identities[identity] = Identity()
            decision = Decision(identity, 'appeared', None)
        self.rows[row].identity = identity
        self.identities[identity].rows.add(row)
        self.seen(row, float(span[1]))
        return row, decision

    def seen(self, row: int, second: float) -> None:
        """Tracklet ``row`` is in view at ``second`` (its span grows)."""
        mine = self.rows[row]
        mine.span[1] = max(mine.span[1], second)
        identity = self.identities[mine.identity]
        if second >= identity.last_seen_s:
            identity.camera, identity.last_seen_s = mine.camera, second

    def finish(self, row: int, embedding: np.ndarray, pair_features: dict) -> Merge | None:
        """Tracklet ``row`` ended with this final embedding: re-score it and merge its identity
        with the nearest other one under ``threshold``, if any (module doc)."""
        mine = self.rows[row]
        mine.embedding, mine.pair_features, mine.active = embedding, pair_features, False
        self._matrix[self._position[row]] = embedding
        self.rescored = {pair: d for pair, d in self.rescored.items() if row not in pair}
        identity = mine.identity
        rows = sorted(self.identities[identity].rows)
        others = self._near_identities(row) - {identity}
        distances = self._identity_distances(rows, others)
        if not distances or min(distances.values()) >= self.threshold:
            return None
        other = min(distances, key=lambda i: (distances[i], i))
        keep, absorbed = min(identity, other), max(identity, other)
        for moved in self.identities[absorbed].rows:
            self.rows[moved].identity = keep
        gone = self.identities.pop(absorbed)
        target = self.identities[keep]
        target.rows |= gone.rows
        if gone.last_seen_s > target.last_seen_s:
            target.camera, target.last_seen_s = gone.camera, gone.last_seen_s
        return Merge(keep, absorbed, distances[other])

    def forget(self, now_s: float) -> list[int]:
        """Move the identities not seen since ``now_s - forget_after_s`` (and with no growing
        tracklet) to the archive; return them."""
        old = [identity for identity, mine in self.identities.items()
               if mine.last_seen_s < now_s - self.forget_after_s
               and not any(self.rows[r].active for r in mine.rows)]
        for identity in old:
            rows = sorted(self.identities.pop(identity).rows)
            with atomic_write(self.archive / f'{identity}.npz', 'wb') as f:
                np.savez(f, embeddings=np.stack([self.rows[r].embedding for r in rows]),
                         cameras=np.array([self.rows[r].camera for r in rows]),
                         track_ids=np.array([self.rows[r].track_id for r in rows]),
                         spans=np.stack([self.rows[r].span for r in rows]))
            for r in rows:
                del self.rows[r]
            self.archived.append(identity)
        if old:
            gone = {r for pair in self.rescored for r in pair if r not in self.rows}
            self.rescored = {pair: d for pair, d in self.rescored.items()
                             if not gone.intersection(pair)}
            kept = [r for r in self._numbers if r in self.rows]
            self._matrix = np.stack([self.rows[r].embedding for r in kept]) if kept else \
                np.zeros((0, 0), np.float32)
            self._numbers, self._position = kept, {r: k for k, r in enumerate(kept)}
        return old

    def _add_row(self, row: GalleryRow) -> int:
        number, self._next_row = self._next_row, self._next_row + 1
        self.rows[number] = row
        count = len(self._numbers)
        if count == len(self._matrix):
            grown = np.zeros((max(16, 2 * count), len(row.embedding)), np.float32)
            grown[:count] = self._matrix[:count] if count else 0
            self._matrix = grown
        self._matrix[count] = row.embedding
        self._position[number] = count
        self._numbers.append(number)
        return number

    def _near_identities(self, row: int) -> set[int]:
        """The identities of ``row``'s ``4 × shortlist`` nearest other rows; the ``shortlist``
        nearest of those in other cameras, not cannot-linked, are re-scored."""
        index = EmbeddingIndex(torch.from_numpy(self._matrix[:len(self._numbers)]),
                               'inner_product', 'torch')
        _, found = index.search(self.rows[row].embedding[None], 4 * max(self.shortlist, 1) + 1)
        near = [self._numbers[k] for k in found[0] if self._numbers[k] != row]
        mine = self.rows[row]
        allowed = [r for r in near if self.rows[r].camera != mine.camera and self.rows[r].identity
                   and not self._forbidden([row], [r])[0, 0]][:self.shortlist]
        todo = [r for r in allowed if (min(row, r), max(row, r)) not in self.rescored]
        if self.predictor is not None and todo:
            features = {name: torch.cat([mine.pair_features[name]] +
                                        [self.rows[r].pair_features[name] for r in todo])
                        for name in mine.pair_features}
            owner = np.concatenate([np.full(len(next(iter(p.values()))), n) for n, p in
                                    enumerate([mine.pair_features] +
                                              [self.rows[r].pair_features for r in todo])])
            pairs = np.array([(0, k + 1) for k in range(len(todo))])
            probability = crop_pair_probabilities(self.predictor, features, owner, pairs,
                                                  self.crops_per_side)
            plain = np.array([self._plain(row, r) for r in todo])
            for r, d in zip(todo, rescore(plain, probability, self.pair_weight)):
                self.rescored[(min(row, r), max(row, r))] = float(d)
        return {self.rows[r].identity for r in near if self.rows[r].identity}

    def _identity_distances(self, rows: list[int], identities: set[int]) -> dict[int, float]:
        """Average-linkage distance of the tracklets ``rows`` to each of ``identities`` that
        none of them cannot-link with."""
        out = {}
        for identity in identities:
            theirs = sorted(self.identities[identity].rows)
            if self._forbidden(rows, theirs).any():
                continue
            out[identity] = float(np.mean([self.rescored.get((min(a, b), max(a, b)),
                                                             self._plain(a, b))
                                           for a in rows for b in theirs]))
        return out

    def _plain(self, a: int, b: int) -> float:
        return float(np.clip((1 - self.rows[a].embedding @ self.rows[b].embedding) / 2, 0, 1))

    def _forbidden(self, rows_a: list[int], rows_b: list[int]) -> np.ndarray:
        a, b = [self.rows[r] for r in rows_a], [self.rows[r] for r in rows_b]
        return cannot_link_between(np.array([r.camera for r in a]), np.stack([r.span for r in a]),
                                   np.array([r.camera for r in b]), np.stack([r.span for r in b]),
                                   self.min_transit_s)
