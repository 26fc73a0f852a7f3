/**
 * Short explanations of each measure and method, shown in the HTML report. Static HTML
 * (no user text), so it is inserted as is.
 */

export interface Explanation {
  id: string;
  title: string;
  html: string;
}

export const EXPLANATIONS: readonly Explanation[] = [
  {
    id: 'flat-volume',
    title: 'Flat volume',
    html: `<p>Hochreiter &amp; Schmidhuber (1997) call a minimum <i>w</i>* flat when a large region around it keeps
the loss within δ of <i>L</i>(<i>w</i>*). Along random unit directions <i>u</i> the report's volume measurement finds
the radius <i>r</i>(<i>u</i>) where <i>L</i>(<i>w</i>* + <i>r u</i>) − <i>L</i>(<i>w</i>*) = δ, and estimates the volume
of the star-shaped region as log <i>V</i> = log <i>V<sub>d</sub></i> + log mean<sub><i>i</i></sub> <i>r<sub>i</sub><sup>d</sup></i>,
with a bootstrap interval over directions. In <i>d</i> dimensions the mean is dominated by the flattest sampled
direction, so the estimate is a lower bound in expectation: compare solutions at the same δ, dimension and
direction normalisation, and read the distribution of the radii, which is the more robust summary.</p>`,
  },
  {
    id: 'eps-sharpness',
    title: 'ε-sharpness (max loss in a neighbourhood)',
    html: `<p>Keskar et al. (2017) measure the largest loss within a small set around the solution,
reported as 100 (<i>L</i><sub>max</sub> − <i>L</i>) / (1 + <i>L</i>), with <i>L</i><sub>max</sub> = max<sub><i>e</i> ∈ C<sub>ε</sub></sub> <i>L</i>(<i>w</i>* + <i>e</i>).
The set is a box |<i>e<sub>i</sub></i>| ≤ ε (|<i>w<sub>i</sub></i>| + 1) (Keskar's), an L2 ball ‖<i>e</i>‖ ≤ ρ (SAM's), an
L∞ ball, or their adaptive versions scaled by |<i>w<sub>i</sub></i>| (ASAM), which a rescaling of ReLU layers leaves
unchanged. The maximum is found by projected gradient ascent from SAM's first step and random restarts, so it
is a lower bound of the true maximum (marked ≥). The average over random points of the set is shown beside it.</p>`,
  },
  {
    id: 'hessian',
    title: 'Hessian: λ_max, trace and spectral density',
    html: `<p>Yao et al. (2018, PyHessian) describe curvature by the Hessian <i>H</i> = ∇²<i>L</i>(<i>w</i>*), used only through
Hessian-vector products. The top eigenvalues λ<sub>max</sub> (Lanczos or power iteration) give the sharpest directions;
each is shown ± the residual ‖<i>Hv</i> − λ<i>v</i>‖, which bounds its error. The trace (Hutchinson's estimator,
E[<i>z</i>ᵀ<i>Hz</i>] with Rademacher <i>z</i>) sums the curvature over all directions, ± its standard error. The
empirical spectral density (stochastic Lanczos quadrature, Gaussian-smoothed) shows the whole spectrum:
a bulk near zero and a few outliers, drawn on a log scale.</p>`,
  },
  {
    id: 'sam',
    title: 'SAM: sharpness-aware minimisation',
    html: `<p>Foret et al. (2021) minimise the worst loss in a ρ-ball, min<sub><i>w</i></sub> max<sub>‖<i>e</i>‖<sub><i>p</i></sub> ≤ ρ</sub> <i>L</i>(<i>w</i> + <i>e</i>) + λ‖<i>w</i>‖²,
approximating the inner maximum by one step, ê = ρ sign(<i>g</i>) |<i>g</i>|<sup><i>q</i>−1</sup> / (‖<i>g</i>‖<sub><i>q</i></sub><sup><i>q</i></sup>)<sup>1/<i>p</i></sup>
with 1/<i>p</i> + 1/<i>q</i> = 1, and taking the gradient at <i>w</i> + ê. Its training objective is the ε-sharpness
above in the L2 ball, so SAM solutions are expected to show lower ε-sharpness and λ<sub>max</sub>.</p>`,
  },
  {
    id: 'swa',
    title: 'SWA: stochastic weight averaging',
    html: `<p>Izmailov et al. (2018) average the SGD iterates visited with a constant or cyclical learning rate,
α(<i>i</i>) = (1 − <i>t</i>(<i>i</i>)) α₁ + <i>t</i>(<i>i</i>) α₂, <i>t</i>(<i>i</i>) = (mod(<i>i</i> − 1, <i>c</i>) + 1) / <i>c</i>,
keeping <i>w</i><sub>SWA</sub> ← (<i>n w</i><sub>SWA</sub> + <i>w</i>) / (<i>n</i> + 1) every <i>c</i> iterations and recomputing
the BatchNorm statistics of the average. The average lies in a wider region of the loss surface than the
individual iterates: on the line through the SWA and SGD solutions the train loss rises more slowly on the SWA
side, and SWA's test error is lower. Fast geometric ensembling (FGE, Garipov et al. 2018) averages the
predictions of the same snapshots instead of their weights.</p>`,
  },
];
