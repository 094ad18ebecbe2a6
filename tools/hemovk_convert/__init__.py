"""hemovk checkpoint conversion: PyTorch state dicts -> safetensors with mmpretrain/MMDetection names.

Modules: checkpoint (load and unwrap .pth/.pt/.bin), safetensors_writer (the file format), and one
rename table per foreign framework (efficientnet, convnext). Used by tools/convert_checkpoint.py.
"""
