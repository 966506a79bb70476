//! DmfA declarations: streaming parser and mapping to the engine input.
