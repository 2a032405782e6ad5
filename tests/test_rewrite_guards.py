"""The stabilising rewrite's pre-filter (symce/numeric/rewrite_guards.py): a rule is skipped where the expression
lacks the node classes its entry in GUARDS names, which must never change what stabilise gives.

The check: every rule is called on every form the rewrite passes through for a set of catalog formulas and
gradients chosen for the shapes of the guarded rules (Γ/ψ, Beta/Dirichlet, Bessel, Piecewise, atanh, logits,
counts), and wherever its guard says "skip" it must give its input back unchanged. A guard that claims too much (the rule
was changed to take more shapes, or the entry was written wrong) fails here with the rule and the form.
"""

from __future__ import annotations

import pytest
import sympy as sp

from symce.app.report import gradient_symbols
from symce.engine.information import cross_entropy, entropy, kl
from symce.families import COMMON, EXAMPLES
from symce.numeric import rewrite
from symce.numeric.rewrite_guards import GUARDS, has_any, heads, may_apply
from symce.numeric.rewrite import BESSEL_RULES, RATIONAL_RULES, RULES, stabilise

_EX = {e.label: e for e in (*EXAMPLES, *COMMON)}

# (quantity, P, Q, with the gradient w.r.t. Q's parameters)
CASES = [
    ("H", "gamma", None, False), ("KL", "gamma", "gamma", True), ("CE", "gamma", "gamma", False),
    ("KL", "beta", "beta", False), ("CE", "dirichlet-k3", "dirichlet-k3", False), ("H", "weibull", None, False),
    ("KL", "weibull", "weibull", False), ("KL", "von-mises", "von-mises", True), ("CE", "laplace", "laplace", False), ("KL", "uniform", "uniform", False), ("CE", "geometric", "geometric", True),
    ("KL", "continuous-bernoulli", "continuous-bernoulli", False), ("KL", "bernoulli-logit", "bernoulli-logit", True),
    ("KL", "categorical-logits-k3", "categorical-k3", True), ("CE", "multinomial-logits-n3-k3", "multinomial-n3-k3", False),
    ("KL", "multinomial-n3-k3", "multinomial-n3-k3", False), ("H", "multinomial-n3-k3", None, False),
    ("KL", "normal", "normal", True),
]


def _derivations(case):
    q, a, b, grad = case
    if q == "H":
        return [entropy(_EX[a].build(1))]
    Q = _EX[b].build(2)
    d = {"CE": cross_entropy, "KL": kl}[q](_EX[a].build(1), Q)
    if not grad:
        return [d]
    wrt, _ = gradient_symbols(Q)
    return [d, d.gradient(wrt[0] if len(wrt) == 1 else wrt)]


@pytest.fixture(scope="module")
def corpus():
    return [(d.result, tuple(d.conditions)) for case in CASES for d in _derivations(case)]


def _checked(f, log):
    """f, counting the forms its guard opens and closes on, and recording (rule, form) wherever the guard says
    skip and the rule changes the form all the same."""
    def g(e, *rest):
        new = f(e, *rest)
        if f in GUARDS:
            shut = not may_apply(f, heads(e))
            log["closed" if shut else "open"].add(f)
            if shut and new != e:
                log["wrong"].append((f.__name__, str(e)[:200]))
        return new
    return g


def test_a_skipped_rule_never_changes_the_form(corpus, monkeypatch):
    log: dict = {"open": set(), "closed": set(), "wrong": []}
    originals = {}
    for name in ("RULES", "BESSEL_RULES", "RATIONAL_RULES"):
        wrapped = tuple((rule, _checked(f, log)) for rule, f in getattr(rewrite, name))
        originals.update({f: g for (_, f), (_, g) in zip(getattr(rewrite, name), wrapped)})
        monkeypatch.setattr(rewrite, name, wrapped)
    # stabilise passes the assumptions to these two, which it recognises by identity
    monkeypatch.setattr(rewrite, "softmax_cross_entropy", originals[rewrite.softmax_cross_entropy])
    monkeypatch.setattr(rewrite, "simplex_homogenise", originals[rewrite.simplex_homogenise])
    unguarded = [stabilise(e, prove=False, assumptions=c).expr for e, c in corpus]  # every rule runs (and is checked)
    monkeypatch.undo()
    assert not log["wrong"], f"guards skipped rules that change the form: {log['wrong']}"
    # every guarded rule was checked where its guard shuts, most also where it opens (the corpus holds their shapes)
    assert set(GUARDS) - log["closed"] == set()
    assert len(log["open"]) >= 30, sorted(f.__name__ for f in log["open"])
    assert set(GUARDS) <= set(originals), "a guard for a function that is no longer a rule"
    guarded = [stabilise(e, prove=False, assumptions=c).expr for e, c in corpus]
    assert guarded == unguarded


def test_has_any_is_has(corpus):
    """stabilise picks its rule set with has_any on the classes: the same answers as e.has on the forms."""
    from symce.core.special import sigmoid

    kinds = [(sp.log, sp.exp, sigmoid, sp.loggamma, sp.polygamma), (sp.log, sp.exp, sigmoid, sp.loggamma, sp.polygamma, sp.gamma),
             (sp.besseli,), (sp.exp,), (sp.Piecewise,), (sigmoid,), (sp.loggamma,), (sp.gamma,), (sp.Function,)]
    forms = [x for e, _ in corpus for x in (e if isinstance(e, sp.MatrixBase) else [e])]
    forms += [stabilise(x, prove=False).expr for x in forms[:12]]
    for x in forms:
        classes = heads(x)
        for types in kinds:
            assert has_any(classes, *types) == x.has(*types), (types, str(x)[:120])
    assert any(has_any(heads(x), sp.besseli) for x in forms) and not all(has_any(heads(x), sp.log) for x in forms)


def test_heads():
    x, y = sp.symbols("x y", positive=True)
    assert {sp.log, sp.Add, sp.Symbol} <= heads(sp.log(x) + y)
    assert sp.exp in heads(sp.Pow(sp.E, x, evaluate=False))  # E**x: an instance of sp.exp (ExpMeta)
    assert sp.exp not in heads(x ** y)
    assert sp.loggamma in heads(sp.Piecewise((x, sp.loggamma(x) > 1), (y, True)))  # inside a condition
    assert sp.polygamma in heads(x * (sp.polygamma(1, x) + sp.polygamma(1, x) * y))  # a repeated subtree


def test_may_apply_needs_every_group():
    from symce.numeric.rewrite_special import stirling_split  # needs log Γ and ψ

    x = sp.Symbol("x", positive=True)
    assert not may_apply(stirling_split, heads(sp.loggamma(x)))
    assert not may_apply(stirling_split, heads(sp.polygamma(0, x)))
    assert may_apply(stirling_split, heads(sp.loggamma(x) - x * sp.polygamma(0, x)))
    assert may_apply(lambda e: e, heads(x))  # a rule without an entry always runs


# the first test of each guarded rule that has one, as its source reads when its GUARDS entry was written: a rule
# whose test changes (entropy_log_sum took lgamma_balanced) needs its entry changed too, which the corpus above
# does not always notice
FIRST_TESTS = {
    "vonmises_kl_form": "if not e.has(sp.besseli):",
    "bessel_forms": "if not e.has(sp.besseli):",
    "gamma_products": "if not e.has(sp.gamma):",
    "cross_entropy_split": "if not e.has(sp.loggamma) or not e.has(sp.polygamma):",
    "stirling_split": "if not e.has(sp.loggamma) or not e.has(sp.polygamma):",
    "laplace_derivative_forms": "or not e.has(sp.Piecewise) or not e.has(sp.exp) or e.has(sp.log):",
    "softmax_polynomial": "if isinstance(e, sp.MatrixBase) or not e.has(sp.exp, sigmoid):",
    "multinomial_coefficient_terms": "if not isinstance(e, sp.Add) or not has_exp(e):",
    "gamma_scaled_excess_form": "if not e.has(gamma_scaled):",
    "collect_digamma": "if not e.has(digamma_rem, digamma_stirling, sp.polygamma):",
    "harmonic_numbers": "if not e.has(sp.polygamma) or not e.has(sp.EulerGamma) or not isinstance(e, sp.Add):",
    "polygamma_shift": "if not isinstance(e, sp.Add) or not e.has(sp.polygamma):",
    "polygamma_shift_at_sums": "if not isinstance(e, sp.Add) or not e.has(sp.polygamma):",
    "digamma_differences": "if not e.has(sp.polygamma):",
    "trigamma_differences": "if not isinstance(e, sp.Add) or not e.has(sp.polygamma):",
    "digamma_pole_shift": "if not isinstance(e, sp.Add) or not e.has(psi_diff):",
    "trigamma_ratios": "if not isinstance(e, (sp.Add, sp.Mul)) or not e.has(sp.polygamma):",
    "weibull_derivative_forms": "if not isinstance(e, sp.Add) or not e.has(gamma_scaled) or e.has(sp.Piecewise):",
    "entropy_log_sum": "if not e.has(lgamma_stirling, lgamma_balanced, digamma_stirling, sp.EulerGamma) or not isinstance(e, sp.Add):",
    "scaled_relative_entropy": "if not e.has(stirling_bregman, lgamma_rem, digamma_rem):",
    "bregman_sum": "if not e.has(stirling_bregman):",
    "log_beta_terms": "if not e.has(sp.loggamma):",
    "stirling_parts_at_sums": "if not isinstance(e, sp.Add) or not e.has(lgamma_rem, digamma_rem):",
    "dirichlet_cross_entropy": "if not e.has(log_beta) or not e.has(psi_diff):",
    "softmax_forms": "if not has_exp(e):",
    "softplus_forms": "if not (has_exp(e) or e.has(sigmoid)):",
    "scaled_branches": "if not e.has(sp.Piecewise):",
    "branch_scale_ratio": "if not e.is_Add or not e.has(sp.Piecewise):",
    "log_ratios": "if not isinstance(e, sp.Add) or not e.has(sp.log):",
    "log_over_powers": "if isinstance(e, sp.MatrixBase) or not e.has(xlog1py):",
    "log_rational_sum": "if not isinstance(e, sp.Add) or not e.has(sp.log):",
    "logsumexp_form": "if not has_exp(e):",
    "sigmoid_minus_target": "if not e.has(sigmoid):",
    "sigmoid_variance": "if not e.has(sigmoid):",
    "weight_quotients": "if isinstance(e, sp.MatrixBase) or not e.has(sigmoid, softmax):",
    "gamma_scaled_location_scale": "if isinstance(e, sp.MatrixBase) or not e.has(gamma_scaled) or e.has(sp.Piecewise):",
}


def test_guarded_rules_keep_the_first_test_their_entry_restates():
    import inspect

    by_name = {f.__name__: f for f in GUARDS}
    assert set(FIRST_TESTS) <= set(by_name)
    changed = [name for name, line in FIRST_TESTS.items() if line not in inspect.getsource(by_name[name])]
    assert not changed, f"these rules' first tests changed: update their GUARDS entries (rewrite_guards.py) and here: {changed}"


def test_has_type_is_sympy_has():
    """rewrite_terms.has_type (one walk over distinct subtrees) answers as SymPy's has for class patterns,
    on expressions and matrices, with E**x matched by sp.exp (ExpMeta) and a shared subtree met twice."""
    from symce.core.special import sigmoid
    from symce.numeric.rewrite_terms import has_type

    x, y = sp.symbols("x y", positive=True)
    shared = (x + y) / (1 + x**2)
    exprs = [x + y, sp.exp(x) * shared + shared**2, sp.E**(x * y) + 1, sp.log(x) / shared, sigmoid(x) - y,
             sp.Sum(x**y, (y, 1, 3)) + x, sp.Integral(sp.pi * x, (x, 0, y)), x + sp.zoo, sp.AccumBounds(-1, 1) * x,
             sp.Piecewise((sp.gamma(x), x > 1), (sp.S.EulerGamma, True)),
             sp.ImmutableMatrix([[shared, sp.exp(y)], [0, sp.log(shared)]])]
    patterns = [(sp.Sum, sp.Integral), (sp.exp,), (sp.log, sp.exp, sigmoid), (sp.Function, sp.NumberSymbol),
                (type(sp.zoo),), (sp.AccumBounds,), (sp.Piecewise,)]
    for e in exprs:
        for p in patterns:
            assert has_type(e, *p) == e.has(*p), (e, p)
