# SPDX-License-Identifier: MIT OR GPL-2.0
"""The C side of the binding: libspex's declarations for cffi (ABI mode)
and finding the shared library.

The structs restate lib/include/spex/libspex.h and the uapi header
include/uapi/linux/spex.h field for field; tests/python/test_binding.py
checks every size against the byte counts those headers state.

The library is, in order: $SPEX_LIBRARY, the in-tree build next to this
package (build/lib/libspex.so.1 when run from a source tree), then
libspex.so.1 from the system's library path.
"""
import os

import cffi

CDEF = """
struct spx_qparam { uint32_t scale_bits; uint32_t zero_point; };

struct spx_pattern {
    uint8_t type; uint8_t starts; uint8_t dither; uint8_t reserved0;
    uint32_t z; uint32_t seed; uint32_t starts_offset;
};

struct spex_policy {
    uint32_t mode;
    uint32_t n_thresholds;
    uint32_t threshold_q16[8];
    uint16_t net_mode;
    uint16_t rttvar_k;
    uint32_t deadline_us;
};

struct spex_result {
    uint32_t decision, exit_index, class_id, confidence_q16;
    uint32_t flags, bottleneck_len, layers_run, status;
    uint64_t macs, weight_bytes, act_bytes, ns;
    uint64_t reserved[2];
};

struct spex_info {
    uint32_t abi_version;
    uint32_t flags;
    uint64_t features;
    uint64_t max_model_bytes;
    uint32_t max_models, max_jobs_per_file, max_input_bytes, n_models;
    char kernels[16];
    uint64_t reserved[4];
};

struct spex_layer_desc {
    uint32_t type, branch;
    uint32_t in_c, in_h, in_w;
    uint32_t out_c, out_h, out_w;
    uint32_t fan_in, in_degree, density_ppm, pattern, z, layout;
    uint64_t weights, macs, dense_macs, reserved;
};

struct spex_model_desc {
    uint32_t model_id;
    uint32_t flags;
    uint64_t layers;
    uint32_t layers_cap;
    uint32_t n_layers;
    char name[32];
    uint8_t hash[32];
    uint32_t role, dtype;
    uint32_t in_c, in_h, in_w;
    uint32_t n_classes, n_main, n_exits;
    uint32_t input_bytes, output_bytes;
    uint32_t out_c, out_h, out_w;
    struct spx_qparam input_q;
    struct spx_qparam output_q;
    uint32_t reserved0;
    uint64_t weights, dense_weights;
    uint64_t macs, dense_macs;
    uint64_t file_bytes, dense_file_bytes;
    uint64_t mem_bytes;
    uint64_t scratch_bytes;
    struct spex_policy policy;
    uint64_t jobs, exits, offloads, errors, total_ns;
    uint64_t reserved[4];
};

struct spex;

struct spex_open_opts {
    uint32_t backend;
    uint32_t flags;
    const char *dev_path;
    uint32_t queue_depth;
    uint32_t reserved[5];
};

struct spex_load_error {
    uint32_t status;
    uint32_t offset;
    char msg[160];
};

struct spex_offload_opts {
    const char *host;
    uint16_t port;
    uint16_t reserved0;
    uint32_t deadline_ms;
    uint32_t max_conns;
    uint32_t reserved[5];
};

struct spex_req {
    uint32_t model_id;
    uint32_t flags;
    const void *input;
    void *output;
    uint32_t input_len;
    uint32_t output_len;
    uint64_t user_data;
};

struct spex_completion {
    uint64_t user_data;
    int32_t res;
    uint32_t origin;
    int32_t tail_err;
    uint32_t tail_ns;
    struct spex_result result;
};

struct spex_handle_stats {
    uint64_t submitted, completed, errors;
    uint64_t exits, finals, offloads;
    uint64_t tail_ok, fallbacks;
    uint64_t conns_opened, conn_reuses, retries;
    uint64_t reserved[5];
};

struct spex_pattern_spec {
    uint32_t type, starts, dither, z, seed, n_starts;
    const uint32_t *starts_arr;
    uint32_t reserved[4];
};

int spex_open(const struct spex_open_opts *opts, struct spex **out);
void spex_close(struct spex *h);
int spex_backend_of(const struct spex *h);
const char *spex_backend_name(int backend);
int spex_uses_uring_cmd(const struct spex *h);
int spex_get_info(struct spex *h, struct spex_info *info);
int spex_load_blob_flags(struct spex *h, const void *blob, size_t len,
                         uint32_t flags, uint32_t *model_id,
                         struct spex_load_error *err);
int spex_unload_model(struct spex *h, uint32_t model_id);
int spex_list_models(struct spex *h, uint32_t *ids, uint32_t cap);
int spex_describe_model(struct spex *h, uint32_t model_id,
                        struct spex_model_desc *desc,
                        struct spex_layer_desc *layers, uint32_t layers_cap);
int spex_set_model_policy(struct spex *h, uint32_t model_id,
                          const struct spex_policy *policy);
int spex_set_offload(struct spex *h, uint32_t model_id,
                     const struct spex_offload_opts *opts);
int spex_submit(struct spex *h, const struct spex_req *reqs, unsigned int n);
int spex_reap(struct spex *h, struct spex_completion *out, unsigned int max,
              unsigned int min_complete, int timeout_ms);
unsigned int spex_in_flight(const struct spex *h);
int spex_infer(struct spex *h, const struct spex_req *req,
               struct spex_completion *c);
int spex_get_stats(const struct spex *h, struct spex_handle_stats *st);
const char *spex_strerror(int err);
int spex_pattern_edges(const struct spex_pattern_spec *ps, uint32_t p,
                       uint32_t n, uint32_t d_in, uint32_t *left,
                       size_t left_cap);
int spex_pattern_starts_needed(const struct spex_pattern_spec *ps,
                               uint32_t p, uint32_t n, uint32_t d_in);
int spex_conv_mask(uint32_t mask_type, uint32_t period, uint32_t kh,
                   uint32_t kw, uint32_t o, uint32_t s, uint8_t *elems,
                   size_t cap);
"""

ffi = cffi.FFI()
ffi.cdef(CDEF)


def _candidates():
    env = os.environ.get("SPEX_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.normpath(os.path.join(here, "..", "..", ".."))
    build = os.environ.get("BUILD", "build")
    if not os.path.isabs(build):
        build = os.path.join(tree, build)
    return [os.path.join(build, "lib", "libspex.so.1"), "libspex.so.1"]


def _open():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append(path + ": no such file")
            continue
        try:
            return ffi.dlopen(path), path
        except OSError as e:
            errors.append(str(e))
    raise ImportError("libspex not found (" + "; ".join(errors) +
                      "); set SPEX_LIBRARY to libspex.so.1")


lib, library_path = _open()
