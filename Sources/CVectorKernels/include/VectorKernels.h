#ifndef CREDITKIT_VECTOR_KERNELS_H
#define CREDITKIT_VECTOR_KERNELS_H

/// Elementwise kernels in AVX-512 and AVX2 for the passes of a training step that are not matrix
/// products. CreditKit's Swift module is compiled for the baseline x86-64 (SSE2), and Swift has no
/// per-function target attribute, so these live in C with one.
///
/// Every kernel does, lane by lane, exactly the IEEE operations of its portable Swift twin
/// (VectorMath, Activation, Optimizer) in the same order, without fused multiply-adds, so that it
/// returns the same bits: a run gives the same numbers whichever kernels the CPU selects.
/// Call a variant only when the CPU and the operating system support it.

#ifdef __cplusplus
extern "C" {
#endif

/// y[i] = tanh(x[i]) as 1 − 2/(e^{2x} + 1); x and y may be the same buffer.
void ck_tanh_avx512(const float *x, float *y, long count);
void ck_tanh_avx2(const float *x, float *y, long count);

/// y[i] = 1/(1 + e^{−x[i]}); x and y may be the same buffer.
void ck_sigmoid_avx512(const float *x, float *y, long count);
void ck_sigmoid_avx2(const float *x, float *y, long count);

/// p[i] += v[i], then v[i] *= momentum: momentum's step from a velocity already formed.
void ck_add_velocity_and_decay_avx512(float *p, float *v, float momentum, long count);
void ck_add_velocity_and_decay_avx2(float *p, float *v, float momentum, long count);

/// g[i] *= 1 − h[i]·h[i]: a credit through tanh, its slope taken from the activity.
void ck_scale_by_tanh_slope_avx512(float *g, const float *h, long count);
void ck_scale_by_tanh_slope_avx2(float *g, const float *h, long count);

/// g[i] *= h[i]·(1 − h[i]): a credit through the sigmoid.
void ck_scale_by_sigmoid_slope_avx512(float *g, const float *h, long count);
void ck_scale_by_sigmoid_slope_avx2(float *g, const float *h, long count);

/// sums[c] = scale · Σ_r x[r·columns + c], the rows added in order from zero, then scaled.
void ck_sum_rows_avx512(const float *x, long rows, long columns, float scale, float *sums);
void ck_sum_rows_avx2(const float *x, long rows, long columns, float scale, float *sums);

/// y[i] = float(bytes[i]) · scale, then, if gain is not null, · gain[i] + offset[i]: one example's
/// features from a byte-valued dataset, standardized per feature.
void ck_bytes_to_floats_avx512(const unsigned char *bytes, float *y, long count, float scale, const float *gain, const float *offset);
void ck_bytes_to_floats_avx2(const unsigned char *bytes, float *y, long count, float scale, const float *gain, const float *offset);

/// NGRAD's change of activity for a shift of the pre-activation, without cancellation:
/// d = (scale·u)·((1 − t)(1 + t)) / (1 + t·u), where t = h, u = tanhRelative(δ), scale = 1 (tanh) or
/// t = 2h − 1, u = tanhRelative(δ/2), scale = 1/2 (sigmoid); lanes whose denominator is below 1/4
/// take f(a + δ) − h instead.
void ck_change_tanh_avx512(const float *a, const float *h, const float *shift, float *change, long count);
void ck_change_tanh_avx2(const float *a, const float *h, const float *shift, float *change, long count);
void ck_change_sigmoid_avx512(const float *a, const float *h, const float *shift, float *change, long count);
void ck_change_sigmoid_avx2(const float *a, const float *h, const float *shift, float *change, long count);

/// Adam's step: m = b1·m + c1·g, v = b2·v + (c2·g)·g, p −= (stepSize·m)/(√v + epsilon), where c1 and
/// c2 are 1 − b1 and 1 − b2 as the caller rounded them.
void ck_adam_avx512(float *p, const float *g, float *m, float *v, long count, float b1, float c1, float b2, float c2,
                    float stepSize, float epsilon);
void ck_adam_avx2(float *p, const float *g, float *m, float *v, long count, float b1, float c1, float b2, float c2,
                  float stepSize, float epsilon);

#ifdef __cplusplus
}
#endif

#endif
