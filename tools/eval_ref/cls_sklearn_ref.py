"""scikit-learn's numbers for hemovk's classification metrics (tests/eval/test_metrics_cls_sklearn.c).

  cls_sklearn_ref.py OUT.json

Writes seeded random cases (binary balanced and imbalanced, heavy score ties, three classes, a tiny
one), each with its inputs (labels, predictions, the positive class's scores) and what scikit-learn
computes: accuracy and per-class / macro precision, recall, F1 in % (precision_recall_fscore_support,
zero_division=0: the same as mmpretrain's max(., 1) guards), the confusion matrix, sensitivity and
specificity of the positive class, roc_auc_score, average_precision_score, the threshold of best F1 (from
precision_recall_curve; among equal F1 the largest threshold) and the largest threshold whose sensitivity
reaches the target (from roc_curve without dropping points). Exit code 3 when numpy or scikit-learn is
missing (the test then skips)."""

import json
import sys

try:
    import numpy as np
    from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix,
                                 precision_recall_curve, precision_recall_fscore_support, recall_score,
                                 roc_auc_score, roc_curve)
except ImportError as e:
    print("cls_sklearn_ref: missing module: %s" % e, file=sys.stderr)
    sys.exit(3)


def expected(y, pred, score, C, pos, target):
    labels = list(range(C))
    p, r, f, _ = precision_recall_fscore_support(y, pred, labels=labels, average=None, zero_division=0)
    mp, mr, mf, _ = precision_recall_fscore_support(y, pred, labels=labels, average="macro", zero_division=0)
    yb, pb = y == pos, pred == pos
    out = {"accuracy_pct": accuracy_score(y, pred) * 100,
           "precision_pct": (p * 100).tolist(), "recall_pct": (r * 100).tolist(), "f1_pct": (f * 100).tolist(),
           "macro_precision_pct": mp * 100, "macro_recall_pct": mr * 100, "macro_f1_pct": mf * 100,
           "confusion": confusion_matrix(y, pred, labels=labels).flatten().tolist(),
           "sensitivity": recall_score(yb, pb), "specificity": recall_score(yb, pb, pos_label=False),
           "roc_auc": roc_auc_score(yb, score), "pr_auc": average_precision_score(yb, score)}
    prec, rec, thr = precision_recall_curve(yb, score)
    prec, rec = prec[:len(thr)], rec[:len(thr)]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    near = np.flatnonzero(f1 >= f1.max() - 1e-12)
    best = near[np.argmax(thr[near])]
    out.update(best_f1=f1[best], best_f1_threshold=thr[best], best_f1_precision=prec[best], best_f1_recall=rec[best])
    fpr, tpr, rthr = roc_curve(yb, score, drop_intermediate=False)
    i = next(i for i in range(1, len(tpr)) if tpr[i] >= target)
    out.update(sens_threshold=rthr[i], sens_sensitivity=tpr[i], sens_specificity=1 - fpr[i])
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in out.items()}


def case(rng, n, C, pos, ties, pos_rate, target=0.99):
    y = np.where(rng.random(n) < pos_rate, pos, rng.integers(0, C, n))
    y = np.where((y == pos) & (rng.random(n) >= pos_rate), (pos + 1) % C, y)
    signal = (y == pos) * 0.35 + rng.random(n) * 0.65  # informative but imperfect
    score = np.round(signal, ties) if ties else signal
    pred = np.where(rng.random(n) < 0.8, np.where(score > 0.5, pos, (pos + 1) % C), rng.integers(0, C, n))
    return {"n_classes": C, "positive": pos, "target": target, "label": y.tolist(), "pred": pred.tolist(),
            "score": score.tolist(), "expected": expected(y, pred, score, C, pos, target)}


def main():
    rng = np.random.default_rng(7)
    cases = [case(rng, 500, 2, 0, 2, 0.5),     # balanced, scores to .01: ties
             case(rng, 1000, 2, 0, 0, 0.1),    # imbalanced, continuous scores
             case(rng, 400, 2, 1, 1, 0.4),     # positive index 1, heavy ties (scores to .1)
             case(rng, 300, 3, 1, 3, 0.3),     # three classes: macro over three
             case(rng, 7, 2, 0, 1, 0.5, 0.9)]  # tiny
    with open(sys.argv[1], "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main()
