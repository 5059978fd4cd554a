// Variants are data: one entry per way of running the app core (DESIGN §4).

export type Protocol = 'http' | 'fastcgi';
export type ProcessModel = 'single' | 'prefork' | 'threaded';
export type Framework = 'fastify';

export interface VariantSpec {
  name: string;
  protocol: Protocol;
  model: ProcessModel;
  framework: Framework;
  /** What it stands for in the original experiment. */
  standsFor: string;
}

export const VARIANTS: readonly VariantSpec[] = [
  {
    name: 'prefork',
    protocol: 'http',
    model: 'prefork',
    framework: 'fastify',
    standsFor: 'gunicorn sync workers behind proxy_pass',
  },
  {
    name: 'threaded',
    protocol: 'http',
    model: 'threaded',
    framework: 'fastify',
    standsFor: 'a threaded HTTP server: one acceptor, handlers in a thread pool',
  },
  {
    name: 'fastcgi',
    protocol: 'fastcgi',
    model: 'prefork',
    framework: 'fastify',
    standsFor: 'flup FastCGI prefork behind fastcgi_pass',
  },
];

export const VARIANT_SETS: Readonly<Record<string, readonly string[]>> = {
  design: ['prefork', 'threaded', 'fastcgi'],
  all: VARIANTS.map((v) => v.name),
};

export function findVariant(name: string): VariantSpec | undefined {
  return VARIANTS.find((v) => v.name === name);
}

/** gunicorn's advice: 2 × cores + 1 workers. */
export function defaultWorkers(cores: number): number {
  return 2 * Math.max(1, cores) + 1;
}
