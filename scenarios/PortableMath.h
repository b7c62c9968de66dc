#pragma once
// Transcendental functions built from +, -, *, / and sqrt only (all correctly rounded in IEEE 754)
// evaluated in a fixed order. With contraction into FMA disabled (-ffp-contract=off on the host,
// -fmad=false for the device code that includes this), they return the same bits on every host
// and device, which libm's and CUDA's log() do not promise. The scenario draws use them so that
// eps[s][j] is bitwise identical between the CPU and CUDA backends.

#include <cmath>
#include <cstdint>
#include <cstring>

#include "scenarios/HostDevice.h"

namespace xm {

XM_HD uint64_t doubleBits(double x) {
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

XM_HD double bitsDouble(uint64_t b) {
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}

// Natural log of a positive, finite, normal double; accurate to about 1 ulp.
// x = 2^e * m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(t), t = (m-1)/(m+1), |t| < 0.1716,
// summed as an odd series in t to the term t^27 (the first dropped term is below 2^-60 relative).
XM_HD double portableLog(double x) {
  const uint64_t bits = doubleBits(x);
  int e = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = bitsDouble((bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull);  // [1, 2)
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    e += 1;
  }
  const double t = (m - 1.0) / (m + 1.0);
  const double t2 = t * t;
  // Horner over 1/(2n+1), n = 13 .. 0.
  double p = 1.0 / 27.0;
  p = p * t2 + 1.0 / 25.0;
  p = p * t2 + 1.0 / 23.0;
  p = p * t2 + 1.0 / 21.0;
  p = p * t2 + 1.0 / 19.0;
  p = p * t2 + 1.0 / 17.0;
  p = p * t2 + 1.0 / 15.0;
  p = p * t2 + 1.0 / 13.0;
  p = p * t2 + 1.0 / 11.0;
  p = p * t2 + 1.0 / 9.0;
  p = p * t2 + 1.0 / 7.0;
  p = p * t2 + 1.0 / 5.0;
  p = p * t2 + 1.0 / 3.0;
  p = p * t2 + 1.0;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 split so e * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double ed = static_cast<double>(e);
  return ed * kLn2Hi + (2.0 * t * p + ed * kLn2Lo);
}

// Inverse of the standard normal CDF for p in (0, 1): Wichura's AS 241 (PPND16), about 1e-16
// relative accuracy, with portableLog in the tails. Long because its three rational
// approximations' coefficients are written out as in the paper, for checking against it.
XM_HD double normalQuantile(double p) {
  const double q = p - 0.5;
  if (q <= 0.425 && q >= -0.425) {
    const double r = 0.180625 - q * q;
    const double num =
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
             45921.953931549871457) *
                r +
            13731.693765509461125) *
               r +
           1971.5909503065514427) *
              r +
          133.14166789178437745) *
             r +
         3.387132872796366608);
    const double den =
        (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r +
             21213.794301586595867) *
                r +
            5394.1960214247511077) *
               r +
           687.1870074920579083) *
              r +
          42.313330701600911252) *
             r +
         1.0);
    return q * num / den;
  }
  double r = q < 0.0 ? p : 1.0 - p;
  r = sqrt(-portableLog(r));
  double value;
  if (r <= 5.0) {
    r -= 1.6;
    value = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                  0.24178072517745061177) *
                     r +
                 1.27045825245236838258) *
                    r +
                3.64784832476320460504) *
                   r +
               5.7694972214606914055) *
                  r +
              4.6303378461565452959) *
                 r +
             1.42343711074968357734) /
            (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                  0.0151986665636164571966) *
                     r +
                 0.14810397642748007459) *
                    r +
                0.68976733498510000455) *
                   r +
               1.6763848301838038494) *
                  r +
              2.05319162663775882187) *
                 r +
             1.0);
  } else {
    r -= 5.0;
    value = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                  0.0012426609473880784386) *
                     r +
                 0.026532189526576123093) *
                    r +
                0.29656057182850489123) *
                   r +
               1.7848265399172913358) *
                  r +
              5.4637849111641143699) *
                 r +
             6.6579046435011037772) /
            (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) *
                     r +
                 7.868691311456132591e-4) *
                    r +
                0.0148753612908506148525) *
                   r +
               0.13692988092273580531) *
                  r +
              0.59983220655588793769) *
                 r +
             1.0);
  }
  return q < 0.0 ? -value : value;
}

}  // namespace xm
