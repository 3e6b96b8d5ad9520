"""The talk's "unit tests for model robustness", shipped with the package and run by `workbook test-model`.

The suite loads a registered model by URI, takes held-out flight rows (by default the synthetic twin's test
split, as notebook 04 splits it) and runs workbook.models' checks: minimum performance, invariance to the
"No Info" spelling, more stops not cheaper, and valid outputs. Run it with
`workbook test-model models:/<name>@champion [--data FILE] [--max-mae X] [--min-r2 Y]`.
"""
