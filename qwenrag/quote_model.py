"""The quote ranker's fitted model (see qwenrag/quote_ranker.py): WRITTEN BY tests/bench/fit_quotes.py --write,
do not edit by hand. Fitted on the calibration split: linear, no trees, l2 0.001, l2-en 0.001."""

from qwenrag.quote_ranker import QuoteModel

QUOTE_MODEL = QuoteModel(
    features=(
        'coverage', 'coverage_best', 'coverage_other', 'near_wh', 'passage', 'rank', 'bm25', 'two', 'length', 'new_terms',
        'compact', 'first', 'asks', 'leans_back', 'number', 'date', 'who', 'where', 'no_number', 'topic',
        'defines', 'run', 'detail', 'loose', 'before_wh', 'after_wh', 'slot', 'new_number', 'position', 'coverage_gap',
        'detail_gap', 'near_gap', 'passage_gap',
    ),
    linear=(
        0.3443, 0.3101, 0.3485, 0.4629, 0.8385, 2.0048, 2.7911, 1.121, -0.1048, -0.3669,
        -0.0029, 0.8135, 0.0052, 0.1768, 0.6878, 1.0332, 0.1871, 0.3555, -0.6878, 0.6392,
        0.6475, 1.1598, 2.0254, 2.2299, -0.0634, 0.7093, -0.0342, 0.8731, 0.4841, -0.3443,
        -2.0254, -0.4629, 0.255, -0.0509, -0.064, 0.0519, -0.0087, 0.0552, -0.0714, 0.2765,
        -0.2901, 0.2527, 0.0302, -0.0251, -0.314, 0.0, -0.2635, 0.0841, 0.0043, 0.1432,
        0.064, -0.0841, 0.2538, -0.0228, -0.0957, -0.1077, 0.1664, 0.0155, 0.2018, -0.0601,
        -0.0128, 0.4706, 0.0509, 0.1077, 0.0087, -0.0941,
    ),
    tree_features=(
    ),
    tree_thresholds=(
    ),
    tree_leaves=(
    ),
)
