/** Gradient registrations that make double backward correct (placeholder). */
export function installSecondOrderGradients(): void {}
