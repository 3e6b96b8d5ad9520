"""Notebook 06's code exercise: the learner's own `psi(p_values, q_values)` of a numeric feature.

The check runs it on the notebook's feature and on small cases a plausible slip fails (no change, a shift,
values beyond the training range, whole numbers on bin edges, repeated deciles), compares each value with
the workbook's PSI, and names the slip it recognises.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbook.exercises.feedback import Feedback, as_number, close, correct, incorrect, not_answered, raised

# A PSI that follows the recipe differs from the workbook's by float noise only. The old allowance of 0.005 was
# nearly the size of a quiet month's PSI (0.006 on notebook 06's feature), so bins out of line passed as correct.
PSI_ABSOLUTE, PSI_RELATIVE = 1e-4, 0.01



def _psi_cases(reference: Any, current: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The notebook's feature, plus small cases a plausible bug fails: no change, a shift, values out of range."""
    rng = np.random.default_rng(0)
    base = rng.normal(0, 1, 2_000)
    # Whole numbers 0-19, with the deciles on the odd ones: each bin holds an even and an odd number, so a value
    # equal to an edge sent up instead of down pairs them the other way, and PSI moves from 0.005 to 0.076.
    # (On the notebook's feature, durations in 5-minute steps, the same slip moves it far less.)
    steps = np.concatenate([np.zeros(25), np.repeat(np.arange(20.0), 50)])
    odd_heavy = np.repeat(np.arange(20.0), [20, 80] * 10)
    # Half the month beyond the training range: bins closed at the training extremes drop that half and see
    # the rest unchanged (PSI 0.03 instead of 1.11).
    half_beyond = np.concatenate([rng.normal(0, 1, 500), rng.normal(4, 0.5, 500)])
    # Mostly zeros: seven of the nine deciles are 0, so the edges must be merged (pd.cut refuses repeated ones).
    mostly_zero = np.concatenate([np.zeros(1_500), rng.poisson(2, 500) + 1.0])
    fewer_zeros = np.concatenate([np.zeros(1_000), rng.poisson(2, 1_000) + 1.0])
    return {"the notebook's feature": (np.asarray(reference, dtype=float), np.asarray(current, dtype=float)),
            "a sample against itself": (base, base.copy()),
            "a sample shifted by half a standard deviation": (base, rng.normal(0.5, 1, 1_000)),
            "a month beyond the training range": (base, rng.normal(3, 0.5, 500)),
            "a month half beyond the training range": (base, half_beyond),
            "whole numbers, many on a bin edge": (steps, odd_heavy),
            "mostly zeros, so repeated deciles": (mostly_zero, fewer_zeros)}


def check_psi_function(psi: Any, reference: Any, current: Any) -> Feedback:
    """Exercise: `psi(p_values, q_values)` of a numeric feature with bins cut at the deciles of p_values."""
    from workbook.monitoring import population_stability_index

    if psi is None:
        return not_answered("write def psi(p_values, q_values): edges = the 9 inner deciles of p_values, shares of "
                            "each sample per bin (values <= an edge go below it), empty shares set to 1e-4, then "
                            "sum((q - p) * ln(q / p))")
    if not callable(psi):
        return incorrect(f"expected a function (pass `psi`, not `psi(...)`), got {type(psi).__name__}.")
    for name, (p_values, q_values) in _psi_cases(reference, current).items():
        try:
            value = as_number(psi(pd.Series(p_values), pd.Series(q_values)))
        except Exception as error:
            return raised(f"psi on {name}", error, "Call it yourself on two small samples.")
        expected = population_stability_index(p_values, q_values)
        problem = _psi_problem(value, expected, name, p_values, q_values)
        if problem is not None:
            return problem
    expected = population_stability_index(reference, current)
    return correct(f"your psi agrees with the workbook's on all {len(_psi_cases(reference, current))} cases; on the "
                   f"notebook's feature it is {expected:.3f} "
                   f"({'a shift worth acting on' if expected >= 0.2 else 'below the 0.2 alert line'}).")


def _psi_problem(value: float | None, expected: float, name: str, p_values: np.ndarray,
                 q_values: np.ndarray) -> Feedback | None:
    """What is wrong with one PSI the learner's function returned, or None when it agrees."""
    from workbook.monitoring.drift import quantile_edges

    if value is None:
        return incorrect(f"on {name} it returned no finite number: an empty bin makes ln(q / p) infinite; "
                         "give empty bins a share of 1e-4 before taking the log.")
    if _psi_agrees(value, expected):
        return None
    if value < -PSI_ABSOLUTE:
        return close(f"on {name} it returned {value:.3f}: PSI is never negative, (q - p) and ln(q / p) always "
                     "share their sign. Check the order inside the log.")
    if _psi_agrees(value, _edge_up_psi(p_values, q_values)):
        return close(f"on {name} a value equal to an edge seems to go to the bin above it; it belongs to the bin "
                     "below: np.searchsorted(edges, values) with its default side='left', or pd.cut(values, "
                     "[-np.inf, *edges, np.inf], right=True).")
    if _psi_agrees(value, _equal_width_psi(p_values, q_values)):
        return close(f"on {name} you seem to cut equal-width bins; cut them at the deciles of p_values "
                     "(np.quantile(p_values, np.linspace(0.1, 0.9, 9))) so each training bin holds a tenth.")
    if _psi_agrees(value, _psi_at(quantile_edges(p_values), p_values, q_values, sort_by_count=True)):
        return close(f"on {name} your bins seem out of line: value_counts() sorts each sample's shares by their "
                     "count, so p's first share and q's first share may be different bins. Keep the bins' order: "
                     "value_counts(normalize=True, sort=False), or np.bincount on the bin numbers.")
    return incorrect(f"on {name} it returned {value:.4f}, the deciles recipe gives {expected:.4f}. "
                     "Check the edges (the deciles of p_values, open at both ends), that you use shares not counts, "
                     "that p's and q's shares are of the same bins in the same order, and the 1e-4 floor.")


def _psi_agrees(value: float, expected: float) -> bool:
    return abs(value - expected) <= max(PSI_ABSOLUTE, PSI_RELATIVE * abs(expected))


def _equal_width_psi(p_values: np.ndarray, q_values: np.ndarray, bins: int = 10) -> float:
    """PSI with equal-width bins between p's extremes: the slip of not cutting at the deciles."""
    return _psi_at(np.linspace(p_values.min(), p_values.max(), bins + 1)[1:-1], p_values, q_values)


def _edge_up_psi(p_values: np.ndarray, q_values: np.ndarray) -> float:
    """PSI at the deciles with a value equal to an edge counted in the bin above it: the slip of side='right'."""
    from workbook.monitoring.drift import quantile_edges

    return _psi_at(quantile_edges(p_values), p_values, q_values, side="right")


def _psi_at(edges: np.ndarray, p_values: np.ndarray, q_values: np.ndarray, side: str = "left",
            sort_by_count: bool = False) -> float:
    """PSI with the workbook's own binning and sum, at other edges or sides, or with each sample's shares sorted
    by size (value_counts' default): what a slip computes."""
    from workbook.monitoring.drift import binned_shares, psi_from_shares

    p, q = binned_shares(edges, p_values, q_values, side=side)
    if sort_by_count:
        p, q = np.sort(p)[::-1], np.sort(q)[::-1]
    return psi_from_shares(p, q)
