"""The quote ranker's fitted model (see qwenrag/quote_ranker.py): WRITTEN BY tests/bench/fit_quotes.py --write,
do not edit by hand. Fitted on the calibration split: linear, no trees, l2 0.001."""

from qwenrag.quote_ranker import QuoteModel

QUOTE_MODEL = QuoteModel(
    features=(
        'coverage', 'coverage_best', 'coverage_other', 'near_wh', 'passage', 'rank', 'bm25', 'two', 'length', 'new_terms',
        'compact', 'first', 'asks', 'leans_back', 'number', 'date', 'who', 'where', 'no_number', 'topic',
        'defines', 'run', 'detail', 'loose', 'before_wh', 'after_wh', 'slot', 'new_number', 'position', 'coverage_gap',
        'detail_gap', 'near_gap', 'passage_gap',
    ),
    linear=(
        0.3438, 0.3094, 0.3515, 0.4707, 0.8197, 2.0175, 2.8035, 1.1182, -0.0977, -0.3685,
        -0.0023, 0.8157, 0.0041, 0.1702, 0.6934, 1.043, 0.1864, 0.3555, -0.6934, 0.6417,
        0.6427, 1.1433, 2.0324, 2.2211, -0.0815, 0.6821, -0.0293, 0.8713, 0.4878, -0.3438,
        -2.0324, -0.4707, 0.2543, -0.051, -0.0641, 0.0522, -0.0113, 0.0551, -0.0751, 0.2742,
        -0.2875, 0.2522, 0.0303, -0.0257, -0.3148, 0.0, -0.2612, 0.0833, 0.0032, 0.143,
        0.0642, -0.0833, 0.253, -0.0228, -0.0937, -0.1085, 0.1679, 0.0169, 0.2044, -0.0602,
        -0.0134, 0.4684, 0.051, 0.1085, 0.0113, -0.0938,
    ),
    tree_features=(
    ),
    tree_thresholds=(
    ),
    tree_leaves=(
    ),
)
