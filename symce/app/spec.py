r"""The reference grammar of ``symce verify MODULE:FUNCTION --against SPEC`` (parsed, never eval'd).

::

    spec     := quantity "(" dist [ "," dist ] ")"  |  alias
    quantity := "entropy" | "ce" | "cross_entropy" | "kl"
    dist     := family "(" name { "," name } ")"
    family   := "bernoulli" | "bernoulli_logit" | "normal" | "categorical" | "categorical_logits"
    name     := [A-Za-z_][A-Za-z0-9_]*

The names become the parameters' symbols, and the function under test takes them positionally in the
order they appear. ``categorical(t1, t2, t3)`` has k = 3 classes (probabilities on the simplex);
``categorical_logits(z1, z2, z3)`` is a softmax of logits. Aliases (see :data:`ALIASES`):
``bernoulli-logit`` = ``ce(bernoulli(t), bernoulli_logit(z))`` (binary CE with logits, f(t, z)), …
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symce.engine.information import cross_entropy, entropy, kl
from symce.errors import ArgumentTypeError
from symce.families import Bernoulli, Categorical, Normal

ALIASES = {
    "bernoulli": "ce(bernoulli(t), bernoulli(p))",
    "bernoulli-logit": "ce(bernoulli(t), bernoulli_logit(z))",
    "bernoulli-entropy": "entropy(bernoulli(p))",
    "bernoulli-kl": "kl(bernoulli(p), bernoulli(q))",
    "normal-entropy": "entropy(normal(mu, sigma))",
    "normal-ce": "ce(normal(mu1, sigma1), normal(mu2, sigma2))",
    "normal-kl": "kl(normal(mu1, sigma1), normal(mu2, sigma2))",
    "softmax-k3": "ce(categorical(t1, t2, t3), categorical_logits(z1, z2, z3))",
}
QUANTITIES = {"entropy": "entropy", "ce": "cross_entropy", "cross_entropy": "cross_entropy", "kl": "kl"}
FAMILIES = ("bernoulli", "bernoulli_logit", "normal", "categorical", "categorical_logits")
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|([(),]))")


class SpecError(ArgumentTypeError):
    """A --against specification that does not follow the grammar; the message says where and what."""


@dataclass(frozen=True)
class Spec:
    text: str
    quantity: str
    dists: tuple    # ((family, (names...)), ...)

    @property
    def names(self) -> tuple:
        return tuple(n for _, names in self.dists for n in names)

    def build(self):
        """(Derivation, argument symbols in order)."""
        symbols, dists = [], []
        for family, names in self.dists:
            dist, syms = _family(family, names)
            dists.append(dist)
            symbols += syms
        f = {"entropy": entropy, "cross_entropy": cross_entropy, "kl": kl}[self.quantity]
        return f(*dists), symbols


def _tokens(text: str):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise SpecError(f"spec {text!r}: unexpected character {text[pos:].lstrip()[:1]!r} at position {pos}; "
                            "allowed are names, '(', ')' and ','")
        out.append((m.group(1) or m.group(2), m.start(1) if m.group(1) else m.start(2)))
        pos = m.end()
    return out


def parse(text: str) -> Spec:
    """Parse a spec (or an alias) into a :class:`Spec`; raises :class:`SpecError` with the position."""
    if not isinstance(text, str):
        raise SpecError(f"a spec must be a string, not {type(text).__name__}")
    source = ALIASES.get(text.strip(), text)
    toks = _tokens(source)
    i = 0

    def expect(what):
        nonlocal i
        if i >= len(toks):
            raise SpecError(f"spec {source!r}: expected {what} at the end")
        tok, at = toks[i]
        i += 1
        return tok, at

    def name(kind, allowed=None):
        tok, at = expect(kind)
        if tok in "(),":
            raise SpecError(f"spec {source!r}: expected a {kind} at position {at}, found {tok!r}")
        if allowed is not None and tok not in allowed:
            raise SpecError(f"spec {source!r}: unknown {kind} {tok!r} at position {at}; allowed: {', '.join(allowed)}")
        return tok

    def punct(p):
        tok, at = expect(repr(p))
        if tok != p:
            raise SpecError(f"spec {source!r}: expected {p!r} at position {at}, found {tok!r}")

    q = QUANTITIES[name("quantity", QUANTITIES)]
    punct("(")
    dists = []
    while True:
        fam = name("family", FAMILIES)
        punct("(")
        names = [name("parameter name")]
        while i < len(toks) and toks[i][0] == ",":
            i += 1
            names.append(name("parameter name"))
        punct(")")
        dists.append((fam, tuple(names)))
        if i < len(toks) and toks[i][0] == ",":
            i += 1
            continue
        break
    punct(")")
    if i != len(toks):
        raise SpecError(f"spec {source!r}: unexpected {toks[i][0]!r} at position {toks[i][1]} after the end")
    want = 1 if q == "entropy" else 2
    if len(dists) != want:
        raise SpecError(f"spec {source!r}: {q} takes {want} distribution(s), got {len(dists)}")
    all_names = [n for _, ns in dists for n in ns]
    if len(set(all_names)) != len(all_names):
        raise SpecError(f"spec {source!r}: parameter names must be distinct, got {all_names}")
    return Spec(source, q, tuple(dists))


def _family(family, names):
    def arity(n):
        if len(names) != n:
            raise SpecError(f"{family} takes {n} parameter name(s), got {len(names)}: {', '.join(names)}")

    if family == "bernoulli":
        arity(1)
        s = sp.Symbol(names[0], positive=True)
        return Bernoulli(s), [s]
    if family == "bernoulli_logit":
        arity(1)
        s = sp.Symbol(names[0], real=True)
        return Bernoulli.from_logit(s), [s]
    if family == "normal":
        arity(2)
        mu, sigma = sp.Symbol(names[0], real=True), sp.Symbol(names[1], positive=True)
        return Normal(mu, sigma), [mu, sigma]
    if len(names) < 2:
        raise SpecError(f"{family} needs at least 2 class parameters, got {len(names)}")
    if family == "categorical":
        syms = [sp.Symbol(n, positive=True) for n in names]
        return Categorical(syms), syms
    syms = [sp.Symbol(n, real=True) for n in names]
    return Categorical.from_logits(syms), syms


__all__ = ["parse", "Spec", "SpecError", "ALIASES"]
