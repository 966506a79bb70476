//! Case service: requests from CPAS to ONEM.
