/**
 * The colour-managed viewer's pixels (issue 22 item 2, decision 185): scene-linear half floats in
 * an RGB(A)16F texture → exposure (a multiply by 2^stops, in scene-linear) → channel isolation →
 * the baked display/view 3D LUT (decision 148: its shaper, then trilinear interpolation) → gamma
 * → an 8-bit canvas the size of the image, one fragment per image pixel. The browser scales the
 * canvas for fit/zoom/pan as it does an <img>, so the canvas holds exactly the viewer's colours at
 * full resolution and can be read back pixel for pixel.
 */
import type { LutShaper, ViewChannel } from '@montu/domain';
import type { HalfImage } from './mf16.js';

/** What the shader is told each draw. */
export interface FloatViewSettings {
  /** Stops; the linear values are multiplied by 2^exposure before the view. */
  exposure: number;
  /** Display gamma applied after the view: code value^(1/gamma); 1 leaves the view as baked. */
  gamma: number;
  channel: ViewChannel;
}

const CHANNEL_INDEX: Record<ViewChannel, number> = { rgb: 0, r: 1, g: 2, b: 3, a: 4, luminance: 5 };

const VERTEX = `#version 300 es
// One triangle that covers the viewport; no vertex buffer.
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

// The LUT is interpolated here from eight texelFetch reads with float weights rather than by the
// sampler: GPUs interpolate textures with 8-bit fractions (up to ~1/512 of an entry's step off),
// and this way the result is the trilinear lookup the server's tests check the LUT with.
const FRAGMENT = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
precision highp sampler3D;
uniform sampler2D u_image;
uniform sampler3D u_lut;
uniform float u_gain;
uniform float u_invGamma;
uniform int u_channel;
uniform int u_height;
// offset, stops, maxLinear, lattice entries - 1
uniform vec4 u_shaper;
out vec4 outColor;

vec3 at(ivec3 i) { return texelFetch(u_lut, i, 0).rgb; }

vec3 viewOf(vec3 linear) {
  vec3 x = clamp(linear, 0.0, u_shaper.z);
  vec3 pos = log2(x / u_shaper.x + 1.0) / u_shaper.y * u_shaper.w;
  vec3 base = min(floor(pos), vec3(u_shaper.w - 1.0));
  vec3 f = pos - base;
  ivec3 i = ivec3(base);
  vec3 c00 = mix(at(i), at(i + ivec3(1, 0, 0)), f.r);
  vec3 c10 = mix(at(i + ivec3(0, 1, 0)), at(i + ivec3(1, 1, 0)), f.r);
  vec3 c01 = mix(at(i + ivec3(0, 0, 1)), at(i + ivec3(1, 0, 1)), f.r);
  vec3 c11 = mix(at(i + ivec3(0, 1, 1)), at(i + ivec3(1, 1, 1)), f.r);
  return mix(mix(c00, c10, f.g), mix(c01, c11, f.g), f.b);
}

void main() {
  // Canvas row 0 is the top; gl_FragCoord counts from the bottom.
  ivec2 p = ivec2(int(gl_FragCoord.x), u_height - 1 - int(gl_FragCoord.y));
  vec4 source = texelFetch(u_image, p, 0);
  if (u_channel == 4) {
    // Alpha is coverage, not colour: shown as it is, in grey, without the view.
    outColor = vec4(vec3(clamp(source.a, 0.0, 1.0)), 1.0);
    return;
  }
  vec3 linear = source.rgb * u_gain;
  if (u_channel == 1) linear = vec3(linear.r);
  else if (u_channel == 2) linear = vec3(linear.g);
  else if (u_channel == 3) linear = vec3(linear.b);
  // Rec. 709 / sRGB primaries' luminance weights.
  else if (u_channel == 5) linear = vec3(dot(linear, vec3(0.2126, 0.7152, 0.0722)));
  vec3 display = viewOf(linear);
  outColor = vec4(pow(clamp(display, 0.0, 1.0), vec3(u_invGamma)), 1.0);
}`;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS))
    throw new Error(`shader: ${gl.getShaderInfoLog(shader) ?? 'does not compile'}`);
  return shader;
}

/** One WebGL2 context on one canvas: an image, a LUT, and draws of them with settings. */
export class FloatRenderer {
  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly uniforms: Record<string, WebGLUniformLocation | null>;
  private imageTexture: WebGLTexture | null = null;
  private lutTexture: WebGLTexture | null = null;
  private image: HalfImage['header'] | null = null;
  private shaper: { shaper: LutShaper; size: number } | null = null;

  /** Throws when the browser has no WebGL2 (the caller shows the plain picture instead). */
  constructor(readonly canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: the picture stays readable (toDataURL, readPixels) after it is shown.
    const gl = canvas.getContext('webgl2', {
      alpha: false,
      antialias: false,
      depth: false,
      premultipliedAlpha: false,
      preserveDrawingBuffer: true,
    });
    if (!gl) throw new Error('this browser has no WebGL2');
    this.gl = gl;
    const program = gl.createProgram();
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS))
      throw new Error(`shader program: ${gl.getProgramInfoLog(program) ?? 'does not link'}`);
    this.program = program;
    this.uniforms = Object.fromEntries(
      ['u_image', 'u_lut', 'u_gain', 'u_invGamma', 'u_channel', 'u_height', 'u_shaper'].map((n) => [
        n,
        gl.getUniformLocation(program, n),
      ]),
    );
  }

  /** Largest image edge this context takes. */
  get maxSize(): number {
    return this.gl.getParameter(this.gl.MAX_TEXTURE_SIZE) as number;
  }

  private texture(target: number): WebGLTexture {
    const gl = this.gl;
    const t = gl.createTexture();
    gl.bindTexture(target, t);
    // Read with texelFetch only: no filtering, no mipmaps.
    gl.texParameteri(target, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(target, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    for (const wrap of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T, gl.TEXTURE_WRAP_R])
      gl.texParameteri(target, wrap, gl.CLAMP_TO_EDGE);
    return t;
  }

  /** Uploads the half floats as they are (RGB16F or RGBA16F) and sizes the canvas to the image. */
  setImage({ header, halves }: HalfImage): void {
    const gl = this.gl;
    if (header.kind !== 'image') throw new Error('not an image');
    if (header.width > this.maxSize || header.height > this.maxSize)
      throw new Error(`${header.width}×${header.height} is larger than this GPU's ${this.maxSize} pixels`);
    if (this.imageTexture) gl.deleteTexture(this.imageTexture);
    gl.activeTexture(gl.TEXTURE0);
    this.imageTexture = this.texture(gl.TEXTURE_2D);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    const rgba = header.channels === 4;
    gl.texImage2D(
      gl.TEXTURE_2D,
      0,
      rgba ? gl.RGBA16F : gl.RGB16F,
      header.width,
      header.height,
      0,
      rgba ? gl.RGBA : gl.RGB,
      gl.HALF_FLOAT,
      halves,
    );
    this.image = header;
    this.canvas.width = header.width;
    this.canvas.height = header.height;
  }

  /** Uploads a baked display/view LUT (65³ RGB half floats, red fastest) as a 3D texture. */
  setLut({ header, halves }: HalfImage): void {
    const gl = this.gl;
    if (header.kind !== 'lut3d' || !header.shaper || header.shaper.type !== 'log2-offset')
      throw new Error('not a 3D LUT with a log2-offset shaper');
    if (this.lutTexture) gl.deleteTexture(this.lutTexture);
    gl.activeTexture(gl.TEXTURE1);
    this.lutTexture = this.texture(gl.TEXTURE_3D);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage3D(
      gl.TEXTURE_3D,
      0,
      gl.RGB16F,
      header.width,
      header.height,
      header.depth,
      0,
      gl.RGB,
      gl.HALF_FLOAT,
      halves,
    );
    this.shaper = { shaper: header.shaper, size: header.width };
  }

  get ready(): boolean {
    return this.image !== null && this.shaper !== null;
  }

  draw(settings: FloatViewSettings): void {
    if (!this.image || !this.shaper) return;
    const gl = this.gl;
    const u = this.uniforms;
    gl.viewport(0, 0, this.image.width, this.image.height);
    gl.useProgram(this.program);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.imageTexture);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_3D, this.lutTexture);
    gl.uniform1i(u['u_image']!, 0);
    gl.uniform1i(u['u_lut']!, 1);
    gl.uniform1f(u['u_gain']!, 2 ** settings.exposure);
    gl.uniform1f(u['u_invGamma']!, 1 / settings.gamma);
    gl.uniform1i(u['u_channel']!, CHANNEL_INDEX[settings.channel]);
    gl.uniform1i(u['u_height']!, this.image.height);
    const { shaper, size } = this.shaper;
    gl.uniform4f(u['u_shaper']!, shaper.offset, shaper.stops, shaper.maxLinear, size - 1);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  /** Frees the GPU memory now rather than when the page is collected. */
  dispose(): void {
    const gl = this.gl;
    if (this.imageTexture) gl.deleteTexture(this.imageTexture);
    if (this.lutTexture) gl.deleteTexture(this.lutTexture);
    gl.deleteProgram(this.program);
    this.imageTexture = this.lutTexture = null;
    this.image = null;
    this.shaper = null;
  }
}
