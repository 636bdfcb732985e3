"""MMRazor's OFD distiller needs scipy, which mmrazor does not declare and
mmhkd does (setup.py): without it, its margins are computed through a
placeholder and the distiller fails on first use."""
import math

import mmhkd  # noqa: F401


def test_ofd_distiller_gets_the_real_normal_cdf():
    from mmrazor.models.distillers import ofd_distiller

    # the teacher margin of OFD uses norm.cdf and norm.pdf (Heo et al. 2019)
    x = -0.7
    assert math.isclose(ofd_distiller.norm.cdf(x),
                        0.5 * (1 + math.erf(x / math.sqrt(2))), rel_tol=1e-12)
    assert math.isclose(ofd_distiller.norm.pdf(x),
                        math.exp(-x * x / 2) / math.sqrt(2 * math.pi),
                        rel_tol=1e-12)
