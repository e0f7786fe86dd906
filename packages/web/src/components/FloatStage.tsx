/**
 * The colour-managed picture of float and high-bit-depth stills (issue 22 item 2, decision 185):
 * the item's half-float rendition drawn in WebGL2 through the baked LUT of the chosen
 * display/view, with exposure, gamma, channel isolation and a probe of the linear values under
 * the cursor. Pan, zoom and the drawing overlay are the plain Stage's. Without WebGL2 (or when a
 * file cannot be loaded) it shows the plain display image instead, and says so.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { SESSION_EXPOSURE_LIMIT, VIEW_GAMMA_MAX, VIEW_GAMMA_MIN, type ViewChannel } from '@montu/domain';
import { api, type ColourViews, type Media } from '../api/index.js';
import { resolveView, type ViewerColour } from '../lib/colour.js';
import { imageRect, type Viewport } from '../lib/drawing.js';
import { FloatRenderer } from '../lib/gl/float-renderer.js';
import { loadHalfImage, pixelAt, type HalfImage } from '../lib/gl/mf16.js';
import { MediaView } from './MediaView.js';
import { Stage } from './Stage.js';

interface Probe {
  x: number;
  y: number;
  /** Linear values after exposure (R, G, B, A). */
  values: [number, number, number, number];
}

export interface FloatStageProps {
  media: Media;
  colour: ViewerColour;
  onColour: (c: ViewerColour) => void;
  channel: ViewChannel;
  viewport: Viewport;
  onViewport: (v: Viewport) => void;
  onSize: (w: number, h: number) => void;
  panEnabled: boolean;
  label: string;
  overlay?: ReactNode;
  /** The colour controls show the choice but do not change it (a session follower's view is the driver's). */
  readOnly?: boolean;
  /** The half floats to show: the still's `float` rendition unless given (a sequence frame's, decision 217). */
  floatUrl?: string;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toExponential(3) : v.toFixed(4));

export function FloatStage(props: FloatStageProps) {
  const { media, colour, onColour, channel, onSize, readOnly = false } = props;
  const floatUrl = props.floatUrl ?? api.fileUrl(media.id, 'float');
  const [views, setViews] = useState<ColourViews | null>(null);
  const [image, setImage] = useState<HalfImage | null>(null);
  const [lut, setLut] = useState<{ key: string; data: HalfImage } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [probe, setProbe] = useState<Probe | null>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const rendererRef = useRef<FloatRenderer | null>(null);
  const [drawn, setDrawn] = useState<string | null>(null);
  const [drawnUrl, setDrawnUrl] = useState<string | null>(null);

  useEffect(() => {
    api.colourViews(media.projectId).then(setViews, (e: Error) => setFailure(e.message));
  }, [media.projectId]);
  // A new picture (another item, or a sequence's next frame) replaces the shown one when it is in.
  const [imageUrl, setImageUrl] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    loadHalfImage(floatUrl, abort.signal).then(
      (img) => {
        setImage(img);
        setImageUrl(floatUrl);
        onSize(img.header.width, img.header.height);
      },
      (e: Error) => !abort.signal.aborted && setFailure(e.message),
    );
    return () => abort.abort();
  }, [floatUrl, onSize]);

  const chosen = useMemo(() => (views ? resolveView(views, colour) : null), [views, colour]);
  const lutKey = chosen ? `${chosen.display}/${chosen.view}` : null;

  useEffect(() => {
    if (!chosen || !lutKey) return;
    const abort = new AbortController();
    loadHalfImage(api.lutUrl(media.projectId, chosen.display, chosen.view), abort.signal).then(
      (data) => setLut({ key: lutKey, data }),
      (e: Error) => !abort.signal.aborted && setFailure(e.message),
    );
    return () => abort.abort();
  }, [media.projectId, lutKey]); // chosen changes with lutKey

  // One renderer per canvas; the image and LUT are uploaded when they arrive.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !image || failure) return;
    try {
      rendererRef.current ??= new FloatRenderer(canvas);
      rendererRef.current.setImage(image);
    } catch (e) {
      setFailure((e as Error).message);
    }
  }, [image, failure]);
  useEffect(() => {
    if (!lut || !rendererRef.current || failure) return;
    try {
      rendererRef.current.setLut(lut.data);
    } catch (e) {
      setFailure((e as Error).message);
    }
  }, [lut, image, failure]);
  useEffect(() => {
    const r = rendererRef.current;
    if (!r?.ready || !lut || failure) return;
    r.draw({ exposure: colour.exposure, gamma: colour.gamma, channel });
    setDrawn(`${lut.key}|${colour.exposure}|${colour.gamma}|${channel}`);
    // Which picture the canvas holds (tests wait on it when stepping a sequence).
    setDrawnUrl(imageUrl);
  }, [lut, image, imageUrl, colour.exposure, colour.gamma, channel, failure]);
  useEffect(
    () => () => {
      rendererRef.current?.dispose();
      rendererRef.current = null;
    },
    [],
  );

  // The probe reads the rendition's own values (CPU copy), scaled by the exposure.
  const onPointerMove = (e: React.PointerEvent) => {
    const stage = (e.target as Element).closest('.stage');
    if (!image || !stage) return;
    const box = stage.getBoundingClientRect();
    const r = imageRect(props.viewport);
    const x = Math.floor(((e.clientX - box.left - r.x) / r.width) * image.header.width);
    const y = Math.floor(((e.clientY - box.top - r.y) / r.height) * image.header.height);
    if (x < 0 || y < 0 || x >= image.header.width || y >= image.header.height) return setProbe(null);
    const gain = 2 ** colour.exposure;
    const [pr, pg, pb, pa] = pixelAt(image, x, y);
    setProbe({ x, y, values: [pr * gain, pg * gain, pb * gain, pa] });
  };

  const bar = (
    <div className="colour-bar toolbar-group" role="group" aria-label="Colour">
      <label>
        View{' '}
        <select
          aria-label="Display and view"
          value={chosen ? JSON.stringify([chosen.display, chosen.view]) : ''}
          disabled={!views || readOnly}
          onChange={(e) => {
            const [display, view] = JSON.parse(e.target.value) as [string, string];
            onColour({ ...colour, display, view });
          }}
        >
          {views?.displays.map((d) => (
            <optgroup key={d.name} label={d.name}>
              {d.views.map((v) => (
                <option key={v.name} value={JSON.stringify([d.name, v.name])}>
                  {d.name} / {v.name}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label>
        Exposure{' '}
        <input
          type="range"
          aria-label="Exposure (stops)"
          min={-SESSION_EXPOSURE_LIMIT / 2}
          max={SESSION_EXPOSURE_LIMIT / 2}
          step={0.1}
          disabled={readOnly}
          value={colour.exposure}
          onChange={(e) => onColour({ ...colour, exposure: Number(e.target.value) })}
        />
        <output className="colour-readout">
          {colour.exposure > 0 ? '+' : ''}
          {colour.exposure.toFixed(1)}
        </output>
      </label>
      <label>
        Gamma{' '}
        <input
          type="number"
          aria-label="Gamma"
          min={VIEW_GAMMA_MIN}
          max={VIEW_GAMMA_MAX}
          step={0.1}
          disabled={readOnly}
          value={colour.gamma}
          onChange={(e) => {
            const g = Number(e.target.value);
            if (g >= VIEW_GAMMA_MIN && g <= VIEW_GAMMA_MAX) onColour({ ...colour, gamma: g });
          }}
        />
      </label>
      <button
        type="button"
        onClick={() => onColour({ ...colour, exposure: 0, gamma: 1 })}
        disabled={readOnly || (colour.exposure === 0 && colour.gamma === 1)}
        title="Exposure 0, gamma 1"
      >
        Reset
      </button>
      <output className="probe muted" aria-label="Pixel probe" data-testid="probe">
        {probe
          ? `${probe.x},${probe.y} R ${fmt(probe.values[0])} G ${fmt(probe.values[1])} B ${fmt(probe.values[2])} A ${probe.values[3].toFixed(3)}`
          : 'linear values under the cursor'}
      </output>
    </div>
  );

  if (failure)
    return (
      <>
        <p className="warning" role="status">
          Colour-managed view unavailable ({failure}); showing the display image.
        </p>
        <Stage {...props} channel={channel}>
          {(style) => <MediaView media={media} style={style} onSize={onSize} />}
        </Stage>
      </>
    );
  return (
    <>
      {bar}
      <div className="float-stage" onPointerMove={onPointerMove} onPointerLeave={() => setProbe(null)}>
        <Stage
          {...props}
          channel="rgb"
          overlay={
            <>
              {!drawn && (
                <div className="stage-layer stage-status" role="status">
                  Loading the linear picture…
                </div>
              )}
              {props.overlay}
            </>
          }
        >
          {(style) => (
            <canvas
              ref={canvasRef}
              // The stage's channel filter is not used: channels are isolated in the shader.
              // Image pixels larger than two screen pixels are shown as squares, to peep at.
              style={{
                ...style,
                filter: undefined,
                imageRendering:
                  image && Number(style.width) > 2 * image.header.width ? 'pixelated' : style.imageRendering,
              }}
              data-testid="float-canvas"
              // What the canvas holds now (display/view|exposure|gamma|channel): tests wait on it.
              data-drawn={drawn ?? ''}
              data-picture={drawnUrl ?? ''}
            />
          )}
        </Stage>
      </div>
    </>
  );
}
