# The reference generator's CIFAR corruption functions: hendrycks/robustness make_cifar_c.py, with
# scikit-image >= 0.19's channel_axis for multichannel and the s&p draws of scikit-image <= 0.16. One home
# for them: the corruption benchmark (src/bench/corruptions.ts) times them, and the fixture generator
# test/fixtures/cifar_c_ref11/make_ref11.py imports them. Each takes a PIL image and a severity 1-5, as the
# generator calls them. Needs Debian's python3-numpy python3-scipy python3-skimage python3-opencv python3-wand.
#
# Timing: python3 cifar_c_reference.py images.npy frost_dir severity name... prints one JSON line per
# corruption (wall and CPU seconds for all images, single-threaded, best of up to 3 passes).
# Checking: python3 cifar_c_reference.py check fixtures_dir prints one JSON line per corruption: whether
# these functions reproduce its stored outputs (cifar_c_golden/, cifar_c_ref11/) bit for bit.
import os, sys, json, time, ctypes
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MAGICK_THREAD_LIMIT"):
    os.environ[v] = '1'
import numpy as np
from io import BytesIO
import skimage as sk
from skimage.filters import gaussian
from scipy.ndimage import zoom as scizoom, map_coordinates
import cv2
from PIL import Image as PILImage
from wand.image import Image as WandImage
from wand.api import library as wandlibrary
cv2.setNumThreads(1)
wandlibrary.MagickMotionBlurImage.argtypes = (ctypes.c_void_p, ctypes.c_double, ctypes.c_double, ctypes.c_double)
class MotionImage(WandImage):
    def motion_blur(self, radius=0.0, sigma=0.0, angle=0.0):
        wandlibrary.MagickMotionBlurImage(self.wand, radius, sigma, angle)
# the folder of the frost textures (frost1.png ... frost5.jpg): set by the caller
FROST_DIR = None

def disk(radius, alias_blur=0.1, dtype=np.float32):
    if radius <= 8:
        L = np.arange(-8, 8 + 1); ksize = (3, 3)
    else:
        L = np.arange(-radius, radius + 1); ksize = (5, 5)
    X, Y = np.meshgrid(L, L)
    d = np.array((X ** 2 + Y ** 2) <= radius ** 2, dtype=dtype); d /= np.sum(d)
    return cv2.GaussianBlur(d, ksize=ksize, sigmaX=alias_blur)
def plasma_fractal(mapsize=32, wibbledecay=3):
    maparray = np.empty((mapsize, mapsize), dtype=np.float64); maparray[0, 0] = 0
    stepsize = mapsize; wibble = 100
    def wibbledmean(array):
        return array / 4 + wibble * np.random.uniform(-wibble, wibble, array.shape)
    def fillsquares():
        cornerref = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        squareaccum = cornerref + np.roll(cornerref, shift=-1, axis=0)
        squareaccum += np.roll(squareaccum, shift=-1, axis=1)
        maparray[stepsize // 2:mapsize:stepsize, stepsize // 2:mapsize:stepsize] = wibbledmean(squareaccum)
    def filldiamonds():
        ms = maparray.shape[0]
        drgrid = maparray[stepsize // 2:ms:stepsize, stepsize // 2:ms:stepsize]
        ulgrid = maparray[0:ms:stepsize, 0:ms:stepsize]
        ltsum = drgrid + np.roll(drgrid, 1, axis=0) + (ulgrid + np.roll(ulgrid, -1, axis=1))
        maparray[0:ms:stepsize, stepsize // 2:ms:stepsize] = wibbledmean(ltsum)
        ttsum = drgrid + np.roll(drgrid, 1, axis=1) + (ulgrid + np.roll(ulgrid, -1, axis=0))
        maparray[stepsize // 2:ms:stepsize, 0:ms:stepsize] = wibbledmean(ttsum)
    while stepsize >= 2:
        fillsquares(); filldiamonds(); stepsize //= 2; wibble /= wibbledecay
    maparray -= maparray.min()
    return maparray / maparray.max()
def clipped_zoom(img, z):
    h = img.shape[0]; ch = int(np.ceil(h / z)); top = (h - ch) // 2
    img = scizoom(img[top:top + ch, top:top + ch], (z, z, 1), order=1)
    t = (img.shape[0] - h) // 2
    return img[t:t + h, t:t + h]

def gaussian_noise(x, s):
    c = [0.04, 0.06, .08, .09, .10][s - 1]; x = np.array(x) / 255.
    return np.clip(x + np.random.normal(size=x.shape, scale=c), 0, 1) * 255
def shot_noise(x, s):
    c = [500, 250, 100, 75, 50][s - 1]; x = np.array(x) / 255.
    return np.clip(np.random.poisson(x * c) / c, 0, 1) * 255
def impulse_noise(x, s):
    c = [.01, .02, .03, .05, .07][s - 1]; x = np.array(x) / 255.
    out = x.copy()
    flipped = np.random.choice([True, False], size=x.shape, p=[c, 1 - c])
    salted = np.random.choice([True, False], size=x.shape, p=[0.5, 0.5])
    out[flipped & salted] = 1; out[flipped & ~salted] = 0
    return np.clip(out, 0, 1) * 255
def speckle_noise(x, s):
    c = [.06, .1, .12, .16, .2][s - 1]; x = np.array(x) / 255.
    return np.clip(x + x * np.random.normal(size=x.shape, scale=c), 0, 1) * 255
def gaussian_blur(x, s):
    c = [.4, .6, 0.7, .8, 1][s - 1]
    return np.clip(gaussian(np.array(x) / 255., sigma=c, channel_axis=-1), 0, 1) * 255
def glass_blur(x, s):
    c = [(0.05,1,1), (0.25,1,1), (0.4,1,1), (0.25,1,2), (0.4,1,2)][s - 1]
    x = np.uint8(gaussian(np.array(x) / 255., sigma=c[0], channel_axis=-1) * 255)
    for i in range(c[2]):
        for h in range(32 - c[1], c[1], -1):
            for w in range(32 - c[1], c[1], -1):
                dx, dy = np.random.randint(-c[1], c[1], size=(2,))
                hp, wp = h + dy, w + dx
                x[h, w], x[hp, wp] = x[hp, wp], x[h, w]
    return np.clip(gaussian(x / 255., sigma=c[0], channel_axis=-1), 0, 1) * 255
def defocus_blur(x, s):
    c = [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)][s - 1]
    x = np.array(x) / 255.; kernel = disk(radius=c[0], alias_blur=c[1])
    channels = [cv2.filter2D(x[:, :, d], -1, kernel) for d in range(3)]
    return np.clip(np.array(channels).transpose((1, 2, 0)), 0, 1) * 255
def motion_blur(x, s):
    c = [(6,1), (6,1.5), (6,2), (8,2), (9,2.5)][s - 1]
    output = BytesIO(); x.save(output, format='PNG')
    x = MotionImage(blob=output.getvalue())
    x.motion_blur(radius=c[0], sigma=c[1], angle=np.random.uniform(-45, 45))
    x = cv2.imdecode(np.frombuffer(x.make_blob(), np.uint8), cv2.IMREAD_UNCHANGED)
    if x.shape != (32, 32):
        return np.clip(x[..., [2, 1, 0]], 0, 255)
    return np.clip(np.array([x, x, x]).transpose((1, 2, 0)), 0, 255)
def zoom_blur(x, s):
    c = [np.arange(1, 1.06, 0.01), np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01), np.arange(1, 1.21, 0.01), np.arange(1, 1.26, 0.01)][s - 1]
    x = (np.array(x) / 255.).astype(np.float32); out = np.zeros_like(x)
    for z in c: out += clipped_zoom(x, z)
    x = (x + out) / (len(c) + 1)
    return np.clip(x, 0, 1) * 255
def fog(x, s):
    c = [(.2,3), (.5,3), (0.75,2.5), (1,2), (1.5,1.75)][s - 1]
    x = np.array(x) / 255.; max_val = x.max()
    x += c[0] * plasma_fractal(wibbledecay=c[1])[:32, :32][..., np.newaxis]
    return np.clip(x * max_val / (max_val + c[0]), 0, 1) * 255
def frost(x, s):
    c = [(1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)][s - 1]
    idx = np.random.randint(5)
    fn = ['frost1.png', 'frost2.png', 'frost3.png', 'frost4.jpg', 'frost5.jpg'][idx]
    f = cv2.imread(os.path.join(FROST_DIR, fn))
    f = cv2.resize(f, (0, 0), fx=0.2, fy=0.2)
    a, b = np.random.randint(0, f.shape[0] - 32), np.random.randint(0, f.shape[1] - 32)
    f = f[a:a + 32, b:b + 32][..., [2, 1, 0]]
    return np.clip(c[0] * np.array(x) + c[1] * f, 0, 255)
def snow(x, s):
    c = [(0.1,0.2,1,0.6,8,3,0.95),(0.1,0.2,1,0.5,10,4,0.9),(0.15,0.3,1.75,0.55,10,4,0.9),(0.25,0.3,2.25,0.6,12,6,0.85),(0.3,0.3,1.25,0.65,14,12,0.8)][s - 1]
    x = np.array(x, dtype=np.float32) / 255.
    layer = np.random.normal(size=x.shape[:2], loc=c[0], scale=c[1])
    layer = clipped_zoom(layer[..., np.newaxis], c[2]); layer[layer < c[3]] = 0
    layer = PILImage.fromarray((np.clip(layer.squeeze(), 0, 1) * 255).astype(np.uint8), mode='L')
    out = BytesIO(); layer.save(out, format='PNG')
    layer = MotionImage(blob=out.getvalue())
    layer.motion_blur(radius=c[4], sigma=c[5], angle=np.random.uniform(-135, -45))
    layer = cv2.imdecode(np.frombuffer(layer.make_blob(), np.uint8), cv2.IMREAD_UNCHANGED) / 255.
    layer = layer[..., np.newaxis]
    x = c[6] * x + (1 - c[6]) * np.maximum(x, cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).reshape(32, 32, 1) * 1.5 + 0.5)
    return np.clip(x + layer + np.rot90(layer, k=2), 0, 1) * 255
def brightness(x, s):
    c = [.05, .1, .15, .2, .3][s - 1]
    x = sk.color.rgb2hsv(np.array(x) / 255.); x[:, :, 2] = np.clip(x[:, :, 2] + c, 0, 1)
    return np.clip(sk.color.hsv2rgb(x), 0, 1) * 255
def saturate(x, s):
    c = [(0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)][s - 1]
    x = sk.color.rgb2hsv(np.array(x) / 255.); x[:, :, 1] = np.clip(x[:, :, 1] * c[0] + c[1], 0, 1)
    return np.clip(sk.color.hsv2rgb(x), 0, 1) * 255
def contrast(x, s):
    c = [.75, .5, .4, .3, 0.15][s - 1]
    x = np.array(x) / 255.; means = np.mean(x, axis=(0, 1), keepdims=True)
    return np.clip((x - means) * c + means, 0, 1) * 255
def elastic_transform(image, s):
    I = 32
    c = [(I*0, I*0, I*0.08), (I*0.05, I*0.2, I*0.07), (I*0.08, I*0.06, I*0.06), (I*0.1, I*0.04, I*0.05), (I*0.1, I*0.03, I*0.03)][s - 1]
    image = np.array(image, dtype=np.float32) / 255.
    shape = image.shape; ss = shape[:2]
    cs = np.float32(ss) // 2; q = min(ss) // 3
    p1 = np.float32([cs + q, [cs[0] + q, cs[1] - q], cs - q])
    p2 = p1 + np.random.uniform(-c[2], c[2], size=p1.shape).astype(np.float32)
    M = cv2.getAffineTransform(p1, p2)
    image = cv2.warpAffine(image, M, ss[::-1], borderMode=cv2.BORDER_REFLECT_101)
    dx = (gaussian(np.random.uniform(-1, 1, size=ss), c[1], mode='reflect', truncate=3) * c[0]).astype(np.float32)
    dy = (gaussian(np.random.uniform(-1, 1, size=ss), c[1], mode='reflect', truncate=3) * c[0]).astype(np.float32)
    dx, dy = dx[..., np.newaxis], dy[..., np.newaxis]
    x, y, z = np.meshgrid(np.arange(shape[1]), np.arange(shape[0]), np.arange(shape[2]))
    ind = np.reshape(y + dy, (-1, 1)), np.reshape(x + dx, (-1, 1)), np.reshape(z, (-1, 1))
    return np.clip(map_coordinates(image, ind, order=1, mode='reflect').reshape(shape), 0, 1) * 255
def pixelate(x, s):
    c = [0.95, 0.9, 0.85, 0.75, 0.65][s - 1]
    x = x.resize((int(32 * c), int(32 * c)), PILImage.BOX)
    return x.resize((32, 32), PILImage.BOX)
def jpeg_compression(x, s):
    c = [80, 65, 58, 50, 40][s - 1]
    out = BytesIO(); x.save(out, 'JPEG', quality=c)
    return PILImage.open(out)
def spatter(x, s):
    c = [(0.62,0.1,0.7,0.7,0.5,0),(0.65,0.1,0.8,0.7,0.5,0),(0.65,0.3,1,0.69,0.5,0),(0.65,0.1,0.7,0.69,0.6,1),(0.65,0.1,0.5,0.68,0.6,1)][s - 1]
    x = np.array(x, dtype=np.float32) / 255.
    liq = np.random.normal(size=x.shape[:2], loc=c[0], scale=c[1])
    liq = gaussian(liq, sigma=c[2]); liq[liq < c[3]] = 0
    if c[5] == 0:
        liq = (liq * 255).astype(np.uint8)
        dist = 255 - cv2.Canny(liq, 50, 150)
        dist = cv2.distanceTransform(dist, cv2.DIST_L2, 5)
        _, dist = cv2.threshold(dist, 20, 20, cv2.THRESH_TRUNC)
        dist = cv2.blur(dist, (3, 3)).astype(np.uint8)
        dist = cv2.equalizeHist(dist)
        ker = np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]])
        dist = cv2.filter2D(dist, cv2.CV_8U, ker)
        dist = cv2.blur(dist, (3, 3)).astype(np.float32)
        m = cv2.cvtColor(liq * dist, cv2.COLOR_GRAY2BGRA)
        m /= np.max(m, axis=(0, 1)); m *= c[4]
        color = np.concatenate((175 / 255. * np.ones_like(m[..., :1]), 238 / 255. * np.ones_like(m[..., :1]), 238 / 255. * np.ones_like(m[..., :1])), axis=2)
        color = cv2.cvtColor(color, cv2.COLOR_BGR2BGRA)
        x = cv2.cvtColor(x, cv2.COLOR_BGR2BGRA)
        return cv2.cvtColor(np.clip(x + m * color, 0, 1), cv2.COLOR_BGRA2BGR) * 255
    liq = np.where(liq > c[3], 1, 0)
    liq = gaussian(liq.astype(np.float32), sigma=c[4]); liq[liq < 0.8] = 0
    color = np.concatenate((63 / 255. * np.ones_like(x[..., :1]), 42 / 255. * np.ones_like(x[..., :1]), 20 / 255. * np.ones_like(x[..., :1])), axis=2)
    color *= liq[..., np.newaxis]; x *= (1 - liq[..., np.newaxis])
    return np.clip(x + color, 0, 1) * 255

def check(fixtures):
    """Each stored output (rows: severity 1 then 5 on the 8 input images, seeded 1000*severity + i) against these functions."""
    inp = np.load(os.path.join(fixtures, 'cifar_c_golden', 'input.npy'))
    for sub in ('cifar_c_golden', 'cifar_c_ref11'):
        for f in sorted(os.listdir(os.path.join(fixtures, sub))):
            name = f[:-4]
            if not f.endswith('.npy') or name == 'input':
                continue
            want = np.load(os.path.join(fixtures, sub, f))
            got = []
            for sev in (1, 5):
                for i in range(8):
                    np.random.seed(1000 * sev + i)
                    got.append(np.uint8(np.asarray(globals()[name](PILImage.fromarray(inp[i]), sev), dtype=np.float64)))
            print(json.dumps({'corruption': name, 'equal': bool(np.array_equal(np.stack(got), want))}), flush=True)

if __name__ == '__main__' and sys.argv[1] == 'check':
    FROST_DIR = os.path.join(sys.argv[2], 'frost')
    check(sys.argv[2])
elif __name__ == '__main__':
    FROST_DIR = sys.argv[2]
    images = np.load(sys.argv[1])
    severity = int(sys.argv[3])
    pils = [PILImage.fromarray(im) for im in images]
    for name in sys.argv[4:]:
        fn = globals()[name]
        np.random.seed(0)
        for im in pils[:5]: np.uint8(fn(im, severity))  # warm-up (imports, caches)
        best = None
        for rep in range(3):  # best of up to 3 passes (1 when a pass takes over a second)
            t, c = time.perf_counter(), time.process_time()
            for im in pils: np.uint8(fn(im, severity))  # the generator's per-image loop and its cast
            run = [time.perf_counter() - t, time.process_time() - c]
            best = run if best is None or run[0] < best[0] else best
            if run[0] > 1: break
        print(json.dumps({'corruption': name, 'wall': best[0], 'cpu': best[1]}), flush=True)
