"""Transparency and explainability for the fare model: what it relies on, how it reacts, why one fare.

Notebook 06 uses four views of a fitted model that reads RAW flight rows (the file's ten columns):
- importance: `permutation_importance_table`, how much worse (MAE, rupees) the model gets when one column is shuffled;
- dependence: `partial_dependence_table`, the average predicted fare when every row gets the same value of one column;
- explain: `explain_prediction`, one fare split into contributions of a few feature groups (Shapley values);
- model_card: `model_card`, a Markdown card built from the MLflow run that produced the model.
`plots` draws the first three. Every predict call runs inside `models.fitting_context()` (one native thread).
"""

from workbook.transparency.dependence import default_pd_values, partial_dependence_table
from workbook.transparency.explain import (
    METHODS,
    RAW_FEATURE_GROUPS,
    Explanation,
    Method,
    explain_prediction,
    shap_available,
)
from workbook.transparency.importance import permutation_importance_table
from workbook.transparency.markdown import markdown_table
from workbook.transparency.model_card import (
    DEFAULT_INTENDED_USE,
    DEFAULT_LIMITATIONS,
    model_card,
    write_model_card,
)
from workbook.transparency.plots import plot_explanation, plot_importance, plot_partial_dependence

__all__ = [
    "DEFAULT_INTENDED_USE", "DEFAULT_LIMITATIONS", "METHODS", "RAW_FEATURE_GROUPS",
    "Explanation", "Method",
    "default_pd_values", "explain_prediction", "markdown_table", "model_card", "partial_dependence_table",
    "permutation_importance_table", "plot_explanation", "plot_importance", "plot_partial_dependence",
    "shap_available", "write_model_card",
]
