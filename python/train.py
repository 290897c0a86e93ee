"""ELECTRA Lab's pretraining on PyTorch: python3 train.py --steps N --out <runDir>, or
torchrun --nproc_per_node=K train.py --steps N --out <runDir>. See README.md next to this file."""
import os
import sys

# Before torch loads libgomp: passive OpenMP waits keep several processes on shared cores from stalling.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from electra_lab_torch.job import main  # noqa: E402

if __name__ == "__main__":
    main(HERE, sys.argv[1:])
