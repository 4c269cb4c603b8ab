"""Training support for the YOLOFuse-style models: paired data, TAL/DFL/CIoU loss, mAP metrics."""
