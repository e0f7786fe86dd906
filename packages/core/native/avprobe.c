/*
 * montu-avprobe: a long-lived prober that answers, for one file per request, the part of
 * `ffprobe -show_format -show_streams -of json` that Montu reads, through the same libavformat
 * and libavcodec calls ffprobe makes (open, find_stream_info, a decoder opened per stream). One
 * process answers many files, so the start-up of ffmpeg's ~200 shared libraries is paid once, not
 * per file (docs/decisions/245-avprobe-stay-open-prober.md).
 *
 * Protocol (stdin → stdout, one request at a time):
 *   request:  "<id> <timeout_ms> <format_len> <options_len> <url_len>\n" then the three byte
 *             strings back to back: a demuxer name (may be empty), "key=value\n" options for
 *             avformat_open_input, and the URL.
 *   answer:   one line of JSON: {"id":N,"streams":[...],"format":{...}} or
 *             {"id":N,"error":"...","log":"..."}.
 * Log messages at error level are collected per request and returned with an error (ffprobe
 * prints them on stderr with -v error). The process exits on end of input.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/bprint.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#define MAX_FIELD (1 << 20)
#define KEEP_BUFFER (1 << 20)

static AVBPrint out;     /* the answer being written */
static AVBPrint errlog;  /* error-level log lines of the current request */
static int64_t deadline; /* monotonic microseconds; 0 = none */

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Lets a demuxer stuck on a hostile file give up at the request's deadline. */
static int interrupted(void *unused) {
  (void)unused;
  return deadline && now_us() > deadline;
}

static void on_log(void *avcl, int level, const char *fmt, va_list vl) {
  static int print_prefix = 1;
  char line[1024];
  if (level > av_log_get_level()) return;
  av_log_format_line(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  if (errlog.len < 8192) av_bprintf(&errlog, "%s", line);
}

/* JSON string escaping as ffprobe's json writer does it (bytes ≥ 0x20 pass through). */
static void json_str(const char *s) {
  av_bprint_chars(&out, '"', 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
    case '"': av_bprintf(&out, "\\\""); break;
    case '\\': av_bprintf(&out, "\\\\"); break;
    case '\b': av_bprintf(&out, "\\b"); break;
    case '\f': av_bprintf(&out, "\\f"); break;
    case '\n': av_bprintf(&out, "\\n"); break;
    case '\r': av_bprintf(&out, "\\r"); break;
    case '\t': av_bprintf(&out, "\\t"); break;
    default:
      if (c < 0x20) av_bprintf(&out, "\\u%04x", c);
      else av_bprint_chars(&out, (char)c, 1);
    }
  }
  av_bprint_chars(&out, '"', 1);
}

static int first_field;
static void key(const char *k) {
  if (!first_field) av_bprint_chars(&out, ',', 1);
  first_field = 0;
  json_str(k);
  av_bprint_chars(&out, ':', 1);
}
static void put_str(const char *k, const char *v) { key(k); json_str(v); }
static void put_int(const char *k, int64_t v) { key(k); av_bprintf(&out, "%" PRId64, v); }
static void put_fmt(const char *k, const char *fmt, ...) {
  char buf[128];
  va_list vl;
  va_start(vl, fmt);
  vsnprintf(buf, sizeof buf, fmt, vl);
  va_end(vl);
  put_str(k, buf);
}
static void put_q(const char *k, AVRational q, char sep) { put_fmt(k, "%d%c%d", q.num, sep, q.den); }
static void put_ts(const char *k, int64_t ts) {
  if (ts != AV_NOPTS_VALUE) put_int(k, ts);
}
static void put_time(const char *k, int64_t ts, const AVRational *tb) {
  if (ts != AV_NOPTS_VALUE) put_fmt(k, "%f", ts * av_q2d(*tb));
}
static void open_object(void) { av_bprint_chars(&out, '{', 1); first_field = 1; }
static void close_object(void) { av_bprint_chars(&out, '}', 1); first_field = 0; }

static void put_tags(const char *k, const AVDictionary *dict) {
  const AVDictionaryEntry *t = NULL;
  if (!av_dict_count(dict)) return;
  key(k);
  open_object();
  while ((t = av_dict_get(dict, "", t, AV_DICT_IGNORE_SUFFIX))) put_str(t->key, t->value);
  close_object();
}

/* A colour property: its name unless unspecified (ffprobe leaves it out of JSON then). */
static void put_named(const char *k, const char *name, int unspecified) {
  if (name && !unspecified) put_str(k, name);
}

static void put_stream(AVFormatContext *fmt, AVStream *st, AVCodecContext *dec) {
  AVCodecParameters *par = st->codecpar;
  const AVCodecDescriptor *cd = avcodec_descriptor_get(par->codec_id);
  const char *s;
  char buf[256];

  open_object();
  put_int("index", st->index);
  if (cd) put_str("codec_name", cd->name);
  if ((s = avcodec_profile_name(par->codec_id, par->profile))) put_str("profile", s);
  else if (par->profile != FF_PROFILE_UNKNOWN) put_fmt("profile", "%d", par->profile);
  if ((s = av_get_media_type_string(par->codec_type))) put_str("codec_type", s);

  switch (par->codec_type) {
  case AVMEDIA_TYPE_VIDEO: {
    AVRational sar = av_guess_sample_aspect_ratio(fmt, st, NULL);
    put_int("width", par->width);
    put_int("height", par->height);
    if (dec) {
      put_int("coded_width", dec->coded_width);
      put_int("coded_height", dec->coded_height);
    }
    if (sar.num) put_q("sample_aspect_ratio", sar, ':');
    if ((s = av_get_pix_fmt_name(par->format))) put_str("pix_fmt", s);
    put_named("color_range", av_color_range_name(par->color_range), par->color_range == AVCOL_RANGE_UNSPECIFIED);
    put_named("color_space", av_color_space_name(par->color_space), par->color_space == AVCOL_SPC_UNSPECIFIED);
    put_named("color_transfer", av_color_transfer_name(par->color_trc), par->color_trc == AVCOL_TRC_UNSPECIFIED);
    put_named("color_primaries", av_color_primaries_name(par->color_primaries),
              par->color_primaries == AVCOL_PRI_UNSPECIFIED);
    break;
  }
  case AVMEDIA_TYPE_AUDIO:
    if ((s = av_get_sample_fmt_name(par->format))) put_str("sample_fmt", s);
    put_fmt("sample_rate", "%d", par->sample_rate);
    put_int("channels", par->ch_layout.nb_channels);
    if (par->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC) {
      av_channel_layout_describe(&par->ch_layout, buf, sizeof buf);
      put_str("channel_layout", buf);
    }
    put_int("bits_per_sample", av_get_bits_per_sample(par->codec_id));
    break;
  case AVMEDIA_TYPE_SUBTITLE:
    if (par->width) put_int("width", par->width);
    if (par->height) put_int("height", par->height);
    break;
  default:
    break;
  }

  put_q("r_frame_rate", st->r_frame_rate, '/');
  put_q("avg_frame_rate", st->avg_frame_rate, '/');
  put_q("time_base", st->time_base, '/');
  put_ts("start_pts", st->start_time);
  put_time("start_time", st->start_time, &st->time_base);
  put_ts("duration_ts", st->duration);
  put_time("duration", st->duration, &st->time_base);
  if (par->bit_rate > 0) put_fmt("bit_rate", "%" PRId64, par->bit_rate);
  if (dec && dec->bits_per_raw_sample > 0) put_fmt("bits_per_raw_sample", "%d", dec->bits_per_raw_sample);
  if (st->nb_frames) put_fmt("nb_frames", "%" PRId64, st->nb_frames);

  key("disposition");
  open_object();
  static const struct { int flag; const char *name; } dispositions[] = {
      {AV_DISPOSITION_DEFAULT, "default"},
      {AV_DISPOSITION_DUB, "dub"},
      {AV_DISPOSITION_ORIGINAL, "original"},
      {AV_DISPOSITION_COMMENT, "comment"},
      {AV_DISPOSITION_LYRICS, "lyrics"},
      {AV_DISPOSITION_KARAOKE, "karaoke"},
      {AV_DISPOSITION_FORCED, "forced"},
      {AV_DISPOSITION_HEARING_IMPAIRED, "hearing_impaired"},
      {AV_DISPOSITION_VISUAL_IMPAIRED, "visual_impaired"},
      {AV_DISPOSITION_CLEAN_EFFECTS, "clean_effects"},
      {AV_DISPOSITION_ATTACHED_PIC, "attached_pic"},
      {AV_DISPOSITION_TIMED_THUMBNAILS, "timed_thumbnails"},
      {AV_DISPOSITION_CAPTIONS, "captions"},
      {AV_DISPOSITION_DESCRIPTIONS, "descriptions"},
      {AV_DISPOSITION_METADATA, "metadata"},
      {AV_DISPOSITION_DEPENDENT, "dependent"},
      {AV_DISPOSITION_STILL_IMAGE, "still_image"},
  };
  for (size_t i = 0; i < sizeof dispositions / sizeof dispositions[0]; i++)
    put_int(dispositions[i].name, !!(st->disposition & dispositions[i].flag));
  close_object();

  put_tags("tags", st->metadata);

  if (st->nb_side_data) {
    key("side_data_list");
    av_bprint_chars(&out, '[', 1);
    for (int i = 0; i < st->nb_side_data; i++) {
      const AVPacketSideData *sd = &st->side_data[i];
      const char *name = av_packet_side_data_name(sd->type);
      if (i) av_bprint_chars(&out, ',', 1);
      open_object();
      put_str("side_data_type", name ? name : "unknown");
      if (sd->type == AV_PKT_DATA_DISPLAYMATRIX && sd->size >= 9 * 4)
        put_int("rotation", (int64_t)av_display_rotation_get((const int32_t *)sd->data));
      close_object();
    }
    av_bprint_chars(&out, ']', 1);
  }
  close_object();
}

static void put_error(long id, const char *message) {
  av_bprint_clear(&out);
  av_bprintf(&out, "{\"id\":%ld,", id);
  first_field = 1;
  put_str("error", message);
  put_str("log", errlog.str);
  av_bprint_chars(&out, '}', 1);
}

static void probe(long id, const char *format, char *options, const char *url) {
  AVFormatContext *fmt = NULL;
  AVCodecContext **dec = NULL;
  AVDictionary *opts = NULL;
  const AVInputFormat *iformat = NULL;
  char err[AV_ERROR_MAX_STRING_SIZE], msg[2048];
  int ret;

  /* "key=value\n" lines, split in place (not strtok: its hidden state is shared process-wide). */
  for (char *line = options, *next; *line; line = next) {
    char *nl = strchr(line, '\n'), *eq;
    next = nl ? nl + 1 : line + strlen(line);
    if (nl) *nl = 0;
    if (!(eq = strchr(line, '='))) continue;
    *eq = 0;
    av_dict_set(&opts, line, eq + 1, 0);
  }
  av_dict_set(&opts, "scan_all_pmts", "1", AV_DICT_DONT_OVERWRITE);
  if (*format && !(iformat = av_find_input_format(format))) {
    snprintf(msg, sizeof msg, "Unknown input format: '%s'", format);
    put_error(id, msg);
    goto end;
  }
  if (!(fmt = avformat_alloc_context())) {
    put_error(id, "out of memory");
    goto end;
  }
  fmt->interrupt_callback.callback = interrupted;
  if ((ret = avformat_open_input(&fmt, url, iformat, &opts)) < 0) {
    snprintf(msg, sizeof msg, "%s: %s", url, av_make_error_string(err, sizeof err, ret));
    put_error(id, msg);
    goto end;
  }
  if ((ret = avformat_find_stream_info(fmt, NULL)) < 0) {
    snprintf(msg, sizeof msg, "%s: %s", url, av_make_error_string(err, sizeof err, ret));
    put_error(id, msg);
    goto end;
  }
  /* A decoder per stream, opened as ffprobe opens it: some fields come from the decoder. */
  dec = av_calloc(fmt->nb_streams ? fmt->nb_streams : 1, sizeof *dec);
  for (unsigned i = 0; dec && i < fmt->nb_streams; i++) {
    AVStream *st = fmt->streams[i];
    const AVCodec *codec;
    if (st->codecpar->codec_id == AV_CODEC_ID_PROBE) continue;
    if (!(codec = avcodec_find_decoder(st->codecpar->codec_id))) continue;
    if (!(dec[i] = avcodec_alloc_context3(codec)) ||
        avcodec_parameters_to_context(dec[i], st->codecpar) < 0) {
      put_error(id, "out of memory");
      goto end;
    }
    dec[i]->pkt_timebase = st->time_base;
    if (avcodec_open2(dec[i], codec, NULL) < 0) {
      snprintf(msg, sizeof msg, "Could not open codec for input stream %u", i);
      put_error(id, msg);
      goto end;
    }
  }

  av_bprint_clear(&out);
  av_bprintf(&out, "{\"id\":%ld,\"streams\":[", id);
  for (unsigned i = 0; i < fmt->nb_streams; i++) {
    if (i) av_bprint_chars(&out, ',', 1);
    put_stream(fmt, fmt->streams[i], dec ? dec[i] : NULL);
  }
  av_bprintf(&out, "],\"format\":");
  open_object();
  put_int("nb_streams", fmt->nb_streams);
  put_str("format_name", fmt->iformat->name);
  put_time("start_time", fmt->start_time, &AV_TIME_BASE_Q);
  put_time("duration", fmt->duration, &AV_TIME_BASE_Q);
  if (fmt->bit_rate > 0) put_fmt("bit_rate", "%" PRId64, fmt->bit_rate);
  put_tags("tags", fmt->metadata);
  close_object();
  av_bprint_chars(&out, '}', 1);

end:
  if (dec && fmt)
    for (unsigned i = 0; i < fmt->nb_streams; i++) avcodec_free_context(&dec[i]);
  av_free(dec);
  avformat_close_input(&fmt);
  av_dict_free(&opts);
}

/* Reads exactly n bytes of a request field into a new NUL-terminated buffer. */
static char *read_field(size_t n) {
  char *b = malloc(n + 1);
  if (!b || fread(b, 1, n, stdin) != n) {
    free(b);
    return NULL;
  }
  b[n] = 0;
  return b;
}

int main(void) {
  long id, timeout_ms;
  int status = 0;
  size_t format_len, options_len, url_len;

  av_log_set_level(AV_LOG_ERROR);
  av_log_set_callback(on_log);
  av_bprint_init(&out, 0, AV_BPRINT_SIZE_UNLIMITED);
  av_bprint_init(&errlog, 0, AV_BPRINT_SIZE_UNLIMITED);

  while (scanf("%ld %ld %zu %zu %zu", &id, &timeout_ms, &format_len, &options_len, &url_len) == 5) {
    char *format = NULL, *options = NULL, *url = NULL;
    if (getchar() != '\n' || format_len > MAX_FIELD || options_len > MAX_FIELD || url_len > MAX_FIELD) {
      status = 2;
      break;
    }
    if (!(format = read_field(format_len)) || !(options = read_field(options_len)) ||
        !(url = read_field(url_len))) {
      free(format);
      free(options);
      status = 2;
      break;
    }
    av_bprint_clear(&errlog);
    deadline = timeout_ms > 0 ? now_us() + (int64_t)timeout_ms * 1000 : 0;
    probe(id, format, options, url);
    free(format);
    free(options);
    free(url);
    av_bprint_chars(&out, '\n', 1);
    if (!av_bprint_is_complete(&out)) {
      status = 3;
      break;
    }
    fwrite(out.str, 1, out.len, stdout);
    fflush(stdout);
    /* One huge answer (a file with megabytes of tags) does not stay allocated for the process's life. */
    if (out.size > KEEP_BUFFER) {
      av_bprint_finalize(&out, NULL);
      av_bprint_init(&out, 0, AV_BPRINT_SIZE_UNLIMITED);
    }
  }
  av_bprint_finalize(&out, NULL);
  av_bprint_finalize(&errlog, NULL);
  return status;
}
