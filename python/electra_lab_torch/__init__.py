"""ELECTRA in plain PyTorch with Hugging Face key names: the model, the recipe and the checkpoint files that
ELECTRA Lab's TypeScript engine reads and writes. Shared by bench/vs-pytorch.ts and the exported distributed job."""
