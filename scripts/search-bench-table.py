#!/usr/bin/env python3
"""Markdown tables for docs/benchmarks.md from `veil bench --json` output."""
import json
import sys


def main(path):
    j = json.load(open(path))
    m = j["machine"]
    print(f"Read bandwidth measured in the same run: {m['read_bandwidth_gbps_1_thread']:.1f} GB/s (1 thread), "
          f"{m['read_bandwidth_gbps_all_threads']:.1f} GB/s ({m['threads']} threads).\n")
    print("| n | d | expand ms | scan ms | reduce ms | server ms | key holder prepare ms | key holder decrypt + top-k ms | scan GB/s (% of read bw) "
          "| core-ns / template-dim | x SEAL BGV | faiss ms | server / faiss | probe B | response B | top-k = plaintext |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for dj in j["dimensions"]:
        for r in dj["runs"]:
            print(f"| {r['n']:,} | {r['d']} | {r['expand_ms']:.1f} | {r['scan_ms']:.1f} | {r['reduce_ms']:.1f} "
                  f"| **{r['server_ms']:.1f}** | {r.get('keyholder_prepare_ms', float('nan')):.1f} "
                  f"| {r['keyholder_decrypt_topk_ms']:.1f} "
                  f"| {r['scan_gbps']:.1f} ({100 * r['scan_fraction_of_read_bandwidth']:.0f}%) "
                  f"| {r['server_core_ns_per_template_dim']:.3f} | {r['speedup_vs_seal_bgv_per_core']:.0f} "
                  f"| {r['faiss_flatip_ms']:.2f} | {r['server_over_faiss']:.1f} | {r['probe_bytes']:,} "
                  f"| {r['response_bytes']:,} | {'yes' if r['topk_matches_plaintext'] else 'NO'} |")
    print("\n| d | scale s | enrollment (templates/s) | bytes per template at rest |")
    print("|---|---|---|---|")
    for dj in j["dimensions"]:
        print(f"| {dj['d']} | {dj['quant_scale']} | {dj['enroll_templates_per_s']:,.0f} "
              f"| {dj['bytes_per_template_at_rest']:,} |")


if __name__ == "__main__":
    main(sys.argv[1])
