"""Pure numerical kernels of the scoring algorithm, one subpackage per model."""
