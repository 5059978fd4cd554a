// Variants are data: one entry per way of running the app core.

export type Protocol = 'http' | 'fastcgi';
export type ProcessModel = 'single' | 'prefork' | 'threaded';
export type NodeFramework = 'fastify' | 'express' | 'node-http';

/** A command that serves the contract, for backends that are not this project's Node servers. */
export interface ForeignCommand {
  /** argv with placeholders {host} {port} {listen} {socket} {workers} {threads} {variant}. */
  argv: string[];
  /** The program that must be installed, and how to get it. */
  requires: { program: string; install: string };
  /** Extra environment; DATABASE_URL and BENCHLAB_BACKEND are always set. */
  env?: Record<string, string>;
  /** Folder to start in, relative to the package root. */
  cwd?: string;
}

export interface VariantSpec {
  name: string;
  protocol: Protocol;
  model: ProcessModel;
  /** fastify, express, node-http, or a foreign server's name. */
  framework: string;
  /** What it stands for in the original experiment or in practice. */
  standsFor: string;
  /** Short names that select it too. */
  aliases?: string[];
  /** Absent for the project's Node servers, which run as `benchlab serve`. */
  command?: ForeignCommand;
}

const MODEL_TEXT: Record<ProcessModel, string> = {
  single: 'one process, one event loop',
  prefork: 'node:cluster primary + N worker processes',
  threaded: 'one acceptor thread, handlers in a worker_threads pool',
};

const FRAMEWORKS: readonly NodeFramework[] = ['fastify', 'express', 'node-http'];
const MODELS: readonly ProcessModel[] = ['prefork', 'threaded', 'single'];
const PROTOCOLS: readonly Protocol[] = ['http', 'fastcgi'];

const ALIASES: Record<string, string[]> = {
  'http-prefork-fastify': ['prefork'],
  'http-threaded-fastify': ['threaded'],
  'fastcgi-prefork-fastify': ['fastcgi'],
};

const STANDS_FOR: Record<string, string> = {
  'http-prefork-fastify': 'gunicorn sync workers behind proxy_pass',
  'fastcgi-prefork-fastify': 'flup FastCGI prefork behind fastcgi_pass',
  'fastcgi-threaded-fastify': 'flup FastCGI threaded behind fastcgi_pass',
};

function nodeVariants(): VariantSpec[] {
  const all: VariantSpec[] = [];
  for (const protocol of PROTOCOLS) {
    for (const model of MODELS) {
      for (const framework of FRAMEWORKS) {
        const name = `${protocol}-${model}-${framework}`;
        all.push({
          name,
          protocol,
          model,
          framework,
          standsFor: STANDS_FOR[name] ?? `${framework} over ${protocol === 'http' ? 'HTTP' : 'FastCGI'}, ${MODEL_TEXT[model]}`,
          ...(ALIASES[name] ? { aliases: ALIASES[name] } : {}),
        });
      }
    }
  }
  return all;
}

/** The server the original experiment chose, serving a WSGI port of the guestbook. */
const REF_GUNICORN: VariantSpec = {
  name: 'ref-gunicorn',
  protocol: 'http',
  model: 'prefork',
  framework: 'gunicorn',
  standsFor: 'the original winner: gunicorn sync workers serving a WSGI guestbook',
  command: {
    argv: ['gunicorn', '--workers', '{workers}', '--bind', '{listen}', '--backlog', '511', '--keep-alive', '75', '--access-logfile', '-', 'guestbook:app'],
    requires: { program: 'gunicorn', install: 'apt-get install -y gunicorn python3-pymysql' },
    cwd: 'apps/foreign/gunicorn',
  },
};

export const VARIANTS: readonly VariantSpec[] = [...nodeVariants(), REF_GUNICORN];

export const VARIANT_SETS: Readonly<Record<string, readonly string[]>> = {
  design: ['prefork', 'threaded', 'fastcgi'],
  seed: ['fastcgi-threaded-fastify', 'fastcgi-prefork-fastify', 'http-prefork-fastify'],
  node: VARIANTS.filter((v) => !v.command).map((v) => v.name),
  all: VARIANTS.map((v) => v.name),
};

/** A variant by its name or alias; an alias keeps its short name, which X-Backend and the results use. */
export function findVariant(name: string, variants: readonly VariantSpec[] = VARIANTS): VariantSpec | undefined {
  const spec = variants.find((v) => v.name === name) ?? variants.find((v) => v.aliases?.includes(name));
  return spec && spec.name !== name ? { ...spec, name } : spec;
}

export function isNodeFramework(framework: string): framework is NodeFramework {
  return (FRAMEWORKS as readonly string[]).includes(framework);
}

/** gunicorn's advice: 2 × cores + 1 workers. */
export function defaultWorkers(cores: number): number {
  return 2 * Math.max(1, cores) + 1;
}
