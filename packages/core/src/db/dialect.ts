/** The database engines Montu runs on (its own module: migrations need it, and the connection module loads them). */
export type DialectName = 'sqlite' | 'postgres';
