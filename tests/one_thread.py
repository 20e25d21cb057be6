"""One BLAS and OpenMP thread in each test process and the servers it starts.

Imported by ``conftest.py`` before anything loads numpy (the variables are read when
the libraries load). xdist runs one test process per core; OpenBLAS's spinning threads
on a busy machine made a retrain fit twice and an answer match six times slower than
one thread. ``worker/judge.py`` limits a judge process the same way.
"""

import os

for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(name, "1")
