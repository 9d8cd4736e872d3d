/*-------------------------------------------------------------------------
 *
 * replay.c
 *	  Plain main() that runs the fuzz harness's entry point over files (or
 *	  every file of directories), without libFuzzer or sanitizers, so the
 *	  corpus can be replayed under valgrind (make -C test/fuzz valgrind).
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The harness entry point (fuzz_decoder.c). */
extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read a whole file into an exact-size buffer and run the harness on it. */
static int
replay_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf;
	long		len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc(len ? (size_t) len : 1);
	if (buf == NULL || fread(buf, 1, (size_t) len, f) != (size_t) len)
	{
		perror(path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t) len);
	free(buf);
	return 0;
}

/* Replay a file, or each regular file of a directory (not recursive). */
static int
replay_path(const char *path, int *count)
{
	struct stat st;
	DIR		   *dir;
	struct dirent *de;
	int			rc = 0;

	if (stat(path, &st) != 0)
	{
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
	{
		(*count)++;
		return replay_file(path);
	}
	dir = opendir(path);
	if (dir == NULL)
	{
		perror(path);
		return -1;
	}
	while ((de = readdir(dir)) != NULL)
	{
		char		sub[4096];
		struct stat sst;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (stat(sub, &sst) != 0 || !S_ISREG(sst.st_mode))
			continue;
		(*count)++;
		if (replay_file(sub) != 0)
			rc = -1;
	}
	closedir(dir);
	return rc;
}

/* Replay every argument; exit 1 if a file could not be read. */
int
main(int argc, char **argv)
{
	int			count = 0;
	int			rc = 0;

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			rc = 1;
	printf("replayed %d inputs\n", count);
	return rc;
}
